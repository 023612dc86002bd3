#include "seal/hybrid.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>

#include "core/digest.hpp"
#include "core/random.hpp"

namespace iotfleet::seal {
namespace {

using core::Bytes;
using core::Error;
using core::Failure;

constexpr std::size_t kSessionKeyBytes = 32;
constexpr std::size_t kTagBytes = 16;
constexpr std::array<unsigned char, 12> kZeroNonce{};

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

[[noreturn]] void openssl_failed(const char* what) {
  throw Failure(Error::failure(std::string("sealing failed: OpenSSL ") + what));
}

// An OAEP context with SHA-256 for hash and MGF1, and the label (copied: OpenSSL takes it).
PkeyCtx oaep_context(EVP_PKEY* key, std::string_view label, bool encrypt) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx) return nullptr;
  if ((encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1)
    return nullptr;
  if (!label.empty()) {
    auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(label.data(), label.size()));
    if (!copy) return nullptr;
    if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy, static_cast<int>(label.size())) != 1) {
      OPENSSL_free(copy);
      return nullptr;
    }
  }
  return ctx;
}

// AES-256-GCM with the zero nonce; encrypt appends the tag, decrypt checks it.
std::optional<Bytes> gcm(std::span<const std::uint8_t> key, std::span<const std::uint8_t> in,
                         bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return std::nullopt;
  const std::size_t body = encrypt ? in.size() : in.size() - kTagBytes;
  Bytes out(body + (encrypt ? kTagBytes : 0));
  int len = 0;
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kZeroNonce.size(), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), kZeroNonce.data(), encrypt) != 1)
    return std::nullopt;
  if (body > 0 &&
      EVP_CipherUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(body)) != 1)
    return std::nullopt;
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                                      const_cast<std::uint8_t*>(in.data() + body)) != 1)
    return std::nullopt;
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) return std::nullopt;
  if (encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out.data() + body) != 1)
    return std::nullopt;
  return out;
}

}  // namespace

const char* scope_name(Scope scope) {
  switch (scope) {
    case Scope::strict:
      return "strict";
    case Scope::namespace_wide:
      return "namespace-wide";
    case Scope::cluster_wide:
      return "cluster-wide";
  }
  return "strict";
}

core::Result<Scope> parse_scope(std::string_view text) {
  if (text.empty() || text == "strict") return Scope::strict;
  if (text == "namespace-wide") return Scope::namespace_wide;
  if (text == "cluster-wide") return Scope::cluster_wide;
  return Error::usage("unknown scope '" + std::string(text) +
                      "': must be one of strict, namespace-wide, cluster-wide");
}

std::string encryption_label(Scope scope, std::string_view ns, std::string_view name) {
  switch (scope) {
    case Scope::cluster_wide:
      return "";
    case Scope::namespace_wide:
      return std::string(ns);
    case Scope::strict:
      break;
  }
  return std::string(ns) + "/" + std::string(name);
}

RsaKey::RsaKey(EVP_PKEY* pkey) : key_(pkey, EVP_PKEY_free) {}

int RsaKey::bits() const { return key_ ? EVP_PKEY_get_bits(key_.get()) : 0; }

std::string RsaKey::public_key_digest() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  if (len <= 0) openssl_failed("i2d_PUBKEY");
  const auto digest = core::sha256({der, static_cast<std::size_t>(len)});
  OPENSSL_free(der);
  return core::hex_encode(digest);
}

Bytes hybrid_encrypt(const RsaKey& public_key, std::span<const std::uint8_t> plaintext,
                     std::string_view label) {
  const Bytes session_key = core::random_bytes(kSessionKeyBytes);
  PkeyCtx ctx = oaep_context(public_key.get(), label, true);
  if (!ctx) openssl_failed("RSA-OAEP setup");
  std::size_t rsa_len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &rsa_len, session_key.data(), session_key.size()) != 1)
    openssl_failed("RSA-OAEP encryption (is the key large enough?)");
  Bytes out(2 + rsa_len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data() + 2, &rsa_len, session_key.data(),
                       session_key.size()) != 1)
    openssl_failed("RSA-OAEP encryption (is the key large enough?)");
  if (rsa_len > 0xFFFF) openssl_failed("RSA ciphertext longer than 65535 bytes");
  out.resize(2 + rsa_len);
  out[0] = static_cast<std::uint8_t>(rsa_len >> 8);
  out[1] = static_cast<std::uint8_t>(rsa_len & 0xFF);
  const auto sealed = gcm(session_key, plaintext, true);
  if (!sealed) openssl_failed("AES-256-GCM encryption");
  out.insert(out.end(), sealed->begin(), sealed->end());
  return out;
}

std::optional<Bytes> hybrid_decrypt(std::span<const RsaKey> keys,
                                    std::span<const std::uint8_t> ciphertext,
                                    std::string_view label) {
  if (ciphertext.size() < 2) return std::nullopt;
  const std::size_t rsa_len = (std::size_t{ciphertext[0]} << 8) | ciphertext[1];
  if (ciphertext.size() < 2 + rsa_len + kTagBytes) return std::nullopt;
  const auto rsa_part = ciphertext.subspan(2, rsa_len);
  const auto aes_part = ciphertext.subspan(2 + rsa_len);
  for (const RsaKey& key : keys) {
    PkeyCtx ctx = oaep_context(key.get(), label, false);
    if (!ctx) continue;
    Bytes session_key(static_cast<std::size_t>(EVP_PKEY_get_size(key.get())));
    std::size_t len = session_key.size();
    if (EVP_PKEY_decrypt(ctx.get(), session_key.data(), &len, rsa_part.data(), rsa_part.size()) !=
            1 ||
        len != kSessionKeyBytes) {
      ERR_clear_error();  // a key that does not fit is expected when several are tried
      continue;
    }
    session_key.resize(len);
    auto plain = gcm(session_key, aes_part, false);
    OPENSSL_cleanse(session_key.data(), session_key.size());
    if (plain) return plain;
  }
  return std::nullopt;
}

}  // namespace iotfleet::seal
