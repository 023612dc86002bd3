#include "pki/key.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pki/openssl.hpp"

namespace iotfleet::pki {

using core::Error;
using detail::openssl_error;

core::Result<KeyType> parse_key_type(std::string_view text) {
  if (text == "ec-p256") return KeyType::ec_p256;
  if (text == "rsa-2048") return KeyType::rsa_2048;
  if (text == "rsa-4096") return KeyType::rsa_4096;
  return Error::usage("unknown key type '" + std::string(text) +
                      "': use ec-p256 (the default), rsa-2048 or rsa-4096");
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::ec_p256:
      return "ec-p256";
    case KeyType::rsa_2048:
      return "rsa-2048";
    case KeyType::rsa_4096:
      return "rsa-4096";
  }
  return "?";
}

PrivateKey::PrivateKey(EVP_PKEY* key) : key_(key, EVP_PKEY_free) {}

core::Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::ec_p256:
      key = EVP_EC_gen("P-256");
      break;
    case KeyType::rsa_2048:
      key = EVP_RSA_gen(2048);
      break;
    case KeyType::rsa_4096:
      key = EVP_RSA_gen(4096);
      break;
  }
  if (!key)
    return Error::failure("cannot generate a " + std::string(key_type_name(type)) +
                          " key: " + openssl_error());
  return PrivateKey(key);
}

namespace {

struct PassphraseState {
  const std::optional<std::string>* passphrase;
  bool asked = false;
};

int passphrase_callback(char* buf, int size, int /*rwflag*/, void* u) {
  auto* state = static_cast<PassphraseState*>(u);
  state->asked = true;
  if (!*state->passphrase) return -1;
  const std::string& p = **state->passphrase;
  if (p.size() > static_cast<std::size_t>(size)) return -1;
  std::copy(p.begin(), p.end(), buf);
  return static_cast<int>(p.size());
}

}  // namespace

core::Result<PrivateKey> PrivateKey::from_pem(std::string_view pem,
                                              const std::optional<std::string>& passphrase,
                                              const std::string& what) {
  auto bio = detail::read_bio(pem);
  PassphraseState state{&passphrase};
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &state);
  if (key) return PrivateKey(key);
  const std::string reason = openssl_error();
  if (state.asked && !passphrase)
    return Error::failure(what + ": the key is encrypted and no passphrase was given",
                          "set IOT_CA_PASSPHRASE or give --passphrase-file");
  if (state.asked)
    return Error::failure(what + ": cannot decrypt the key: wrong passphrase (" + reason + ")");
  return Error::failure(what + ": not a PEM private key (" + reason + ")");
}

std::string PrivateKey::to_pem() const {
  auto bio = detail::write_bio();
  PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return detail::bio_text(bio.get());
}

core::Result<std::string> PrivateKey::to_encrypted_pem(const std::string& passphrase) const {
  if (passphrase.size() < kMinPassphraseLength)
    return Error::usage("the CA passphrase must have at least " +
                        std::to_string(kMinPassphraseLength) + " characters");
  auto bio = detail::write_bio();
  if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), EVP_aes_256_cbc(), passphrase.data(),
                                    static_cast<int>(passphrase.size()), nullptr, nullptr) != 1)
    return Error::failure("cannot encrypt the private key: " + openssl_error());
  return detail::bio_text(bio.get());
}

std::string PrivateKey::public_pem() const {
  auto bio = detail::write_bio();
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  return detail::bio_text(bio.get());
}

bool PrivateKey::is_rsa() const { return EVP_PKEY_is_a(key_.get(), "RSA") == 1; }

std::string PrivateKey::describe() const { return describe_key(key_.get()); }

std::string describe_key(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &len) == 1) {
      const std::string g(group, len);
      if (g == "prime256v1" || g == "P-256") return "EC P-256";
      return "EC " + g;
    }
    return "EC";
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  return name ? name : "unknown";
}

}  // namespace iotfleet::pki
