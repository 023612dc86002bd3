#pragma once
// The `local` identity, the embedded default: a toolkit-managed 256-bit random secret per
// device. The database keeps HMAC-SHA256(pepper, key:secret) to verify it (the pepper never
// touches the database, so a database dump alone cannot be used to check guesses) and the
// secret itself sealed in the secret box, so its provisioning package can be downloaded again.

#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/encoding.hpp"
#include "core/error.hpp"
#include "core/secret_box.hpp"

namespace iotfleet::idp {

/// IOT_SECRET_PEPPER: at least 32 bytes in standard base64 (or IOT_SECRET_PEPPER_FILE).
inline constexpr core::Setting kSecretPepper{"", "IOT_SECRET_PEPPER", ""};
/// IOT_SECRET_KEY: the secret box key ring (see core/secret_box.hpp).
inline constexpr core::Setting kSecretKey{"", "IOT_SECRET_KEY", ""};

class Pepper {
 public:
  static core::Result<Pepper> parse(std::string_view base64);
  const core::Bytes& bytes() const { return bytes_; }

 private:
  explicit Pepper(core::Bytes b) : bytes_(std::move(b)) {}
  core::Bytes bytes_;
};

struct LocalCredential {
  std::string secret;  // base64url, 43 characters; shown only in provisioning packages
  core::Bytes hmac;
  std::string sealed;
};

/// The AAD under which a device's secret is sealed: "device:<key>:secret".
std::string local_secret_context(std::string_view device_key);

LocalCredential issue_local_credential(const core::SecretBox& box, const Pepper& pepper,
                                       std::string_view device_key);
core::Bytes local_secret_hmac(const Pepper& pepper, std::string_view device_key, std::string_view secret);
/// Constant-time check of a presented secret against the stored HMAC.
bool verify_local_secret(const Pepper& pepper, std::string_view device_key, std::string_view secret,
                         const core::Bytes& stored_hmac);

}  // namespace iotfleet::idp

namespace iotfleet::idp {

/// The secret box from IOT_SECRET_KEY and the pepper from IOT_SECRET_PEPPER.
core::Result<core::SecretBox> load_secret_box(const core::Config& config);
core::Result<Pepper> load_pepper(const core::Config& config);

}  // namespace iotfleet::idp
