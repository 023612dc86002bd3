#include "idp/local.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/random.hpp"

namespace iotfleet::idp {

core::Result<Pepper> Pepper::parse(std::string_view base64) {
  auto bytes = core::base64_decode(base64);
  if (!bytes || bytes->size() < 32)
    return core::Error::usage("IOT_SECRET_PEPPER must be at least 32 bytes in standard base64",
                              "generate one with: openssl rand -base64 32");
  return Pepper(std::move(*bytes));
}

std::string local_secret_context(std::string_view device_key) {
  return "device:" + std::string(device_key) + ":secret";
}

core::Bytes local_secret_hmac(const Pepper& pepper, std::string_view device_key, std::string_view secret) {
  const std::string message = std::string(device_key) + ":" + std::string(secret);
  core::Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), pepper.bytes().data(), static_cast<int>(pepper.bytes().size()),
            core::as_bytes(message).data(), message.size(), out.data(), &len))
    throw core::Failure(core::Error::failure("HMAC-SHA256 failed"));
  out.resize(len);
  return out;
}

LocalCredential issue_local_credential(const core::SecretBox& box, const Pepper& pepper,
                                       std::string_view device_key) {
  LocalCredential c;
  c.secret = core::base64url_encode(core::random_bytes(32));
  c.hmac = local_secret_hmac(pepper, device_key, c.secret);
  c.sealed = box.seal(c.secret, local_secret_context(device_key));
  return c;
}

bool verify_local_secret(const Pepper& pepper, std::string_view device_key, std::string_view secret,
                         const core::Bytes& stored_hmac) {
  return core::constant_time_equal(local_secret_hmac(pepper, device_key, secret), stored_hmac);
}

}  // namespace iotfleet::idp

namespace iotfleet::idp {

core::Result<core::SecretBox> load_secret_box(const core::Config& config) {
  auto ring = config.require(kSecretKey);
  if (!ring) return core::Error::usage(ring.error().message, "generate one with: echo \"k1:$(openssl rand -base64 32)\"");
  return core::SecretBox::from_keyring(*ring);
}

core::Result<Pepper> load_pepper(const core::Config& config) {
  auto text = config.require(kSecretPepper);
  if (!text) return core::Error::usage(text.error().message, "generate one with: openssl rand -base64 32");
  return Pepper::parse(*text);
}

}  // namespace iotfleet::idp
