#pragma once
// Where a device's credential takes effect, for rotation: a `local` identity's HMAC and sealed
// secret live in its own row (written inside the caller's transaction, so they commit or roll
// back with the rotation bookkeeping); a `keycloak` identity's secret is set on its client
// through the admin API while the caller holds the row lock.

#include <pqxx/pqxx>
#include <string>

#include "core/error.hpp"

namespace iotfleet::rotation {

struct DeviceIdentity {
  std::string key;
  std::string client_id;
  std::string identity_kind;  // local | keycloak | cert
};

class CredentialInstaller {
 public:
  virtual ~CredentialInstaller() = default;
  /// Makes `secret` the credential the identity provider accepts for the device (and the one
  /// sealed in secret_sealed). Idempotent. ErrorKind::unavailable when the provider is down.
  virtual core::Status install(pqxx::work& tx, const DeviceIdentity& device,
                               const std::string& secret) = 0;
};

}  // namespace iotfleet::rotation

#include <functional>

#include "core/secret_box.hpp"
#include "idp/local.hpp"
#include "idp/provider.hpp"

namespace iotfleet::rotation {

/// The installer for `local` and `keycloak` identities. `keycloak` is asked for the provider
/// only when a Keycloak device is installed (so a local-only fleet needs no Keycloak settings);
/// it may throw core::Failure when the settings are missing. `cert` identities are refused
/// (ErrorKind::conflict) until certificate rotation exists.
class IdentityInstaller final : public CredentialInstaller {
 public:
  using KeycloakFor = std::function<idp::IdentityProvider&()>;
  IdentityInstaller(const core::SecretBox& box, const idp::Pepper* pepper, KeycloakFor keycloak)
      : box_(box), pepper_(pepper), keycloak_(std::move(keycloak)) {}

  core::Status install(pqxx::work& tx, const DeviceIdentity& device,
                       const std::string& secret) override;

 private:
  const core::SecretBox& box_;
  const idp::Pepper* pepper_;
  KeycloakFor keycloak_;
};

}  // namespace iotfleet::rotation
