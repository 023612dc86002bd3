#pragma once
// Where a device's credential takes effect, for rotation: a `local` identity's HMAC and sealed
// secret live in its own row (written inside the caller's transaction, so they commit or roll
// back with the rotation bookkeeping); a `keycloak` identity's secret is set on its client
// through the admin API while the caller holds the row lock; a `cert` identity's certificate is
// the one recorded in its row (iot-serve accepts only that serial, and the previous one while a
// rotation is unproven), and the certificate it replaces is revoked in the CA's database index
// in the same transaction.
//
// A `cert` credential, as sealed in pending_secret, is {"key": PEM, "certificate": PEM}.

#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "core/error.hpp"

namespace iotfleet::pki {
class Authority;
}

namespace iotfleet::rotation {

/// A `cert` identity's credential: its private key and certificate, PEM.
struct CertificateCredential {
  std::string key;
  std::string certificate;
};
std::string to_credential(const CertificateCredential& c);
/// Not a certificate credential (say, a secret): nullopt.
std::optional<CertificateCredential> parse_certificate_credential(const std::string& credential);

struct DeviceIdentity {
  std::string key;
  std::string client_id;
  std::string identity_kind;  // local | keycloak | cert
};

class CredentialInstaller {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~CredentialInstaller() = default;
  /// Whether identities of this kind can rotate here (the cycle queues only those).
  virtual bool rotates(const std::string& identity_kind) const = 0;
  /// A new credential for the device, as it is sealed into pending_secret.
  virtual core::Result<std::string> generate(pqxx::work& tx, const DeviceIdentity& device,
                                             TimePoint now) = 0;
  /// Makes `credential` the one the identity provider accepts for the device (besides, for
  /// certificates, the previous one until the rotation ends). Idempotent. ErrorKind::unavailable
  /// when the provider is down.
  virtual core::Status install(pqxx::work& tx, const DeviceIdentity& device,
                               const std::string& credential) = 0;
  /// The attempt ended unproven: when `installed`, the previous credential (`previous`, opened
  /// from previous_secret, if there was one) is the accepted one again; `pending` never will be.
  virtual core::Status abandon(pqxx::work& tx, const DeviceIdentity& device,
                               const std::optional<std::string>& previous,
                               const std::string& pending, bool installed, TimePoint now) = 0;
  /// The device proved the new credential: the previous one stops working.
  virtual core::Status retire_previous(pqxx::work& tx, const DeviceIdentity& device,
                                       TimePoint now) = 0;
};

}  // namespace iotfleet::rotation

#include <functional>

#include "core/secret_box.hpp"
#include "idp/local.hpp"
#include "idp/provider.hpp"

namespace iotfleet::rotation {

/// The installer for every identity kind. `keycloak` is asked for the provider only when a
/// Keycloak device is installed (so a local-only fleet needs no Keycloak settings); it may throw
/// core::Failure when the settings are missing. `cert` identities rotate once
/// issue_certificates_with() gave a CA (iot-rotate); installing, abandoning and retiring
/// certificates needs none (iot-serve).
class IdentityInstaller final : public CredentialInstaller {
 public:
  using KeycloakFor = std::function<idp::IdentityProvider&()>;
  IdentityInstaller(const core::SecretBox& box, const idp::Pepper* pepper, KeycloakFor keycloak)
      : box_(box), pepper_(pepper), keycloak_(std::move(keycloak)) {}

  /// New certificates come from `ca` (unlocked, its index in the database), valid `days`.
  void issue_certificates_with(const pki::Authority* ca, int days) {
    ca_ = ca;
    cert_days_ = days;
  }

  bool rotates(const std::string& identity_kind) const override;
  core::Result<std::string> generate(pqxx::work& tx, const DeviceIdentity& device,
                                     TimePoint now) override;
  core::Status install(pqxx::work& tx, const DeviceIdentity& device,
                       const std::string& credential) override;
  core::Status abandon(pqxx::work& tx, const DeviceIdentity& device,
                       const std::optional<std::string>& previous, const std::string& pending,
                       bool installed, TimePoint now) override;
  core::Status retire_previous(pqxx::work& tx, const DeviceIdentity& device,
                               TimePoint now) override;

 private:
  core::Status install_secret(pqxx::work& tx, const DeviceIdentity& device,
                              const std::string& secret);

  const core::SecretBox& box_;
  const idp::Pepper* pepper_;
  KeycloakFor keycloak_;
  const pki::Authority* ca_ = nullptr;
  int cert_days_ = 365;
};

}  // namespace iotfleet::rotation
