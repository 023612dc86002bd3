#pragma once
// Device operations as iot-provision performs them. Creation is all-or-nothing: every device
// of a --count run is inserted in one transaction, or none is. For a Keycloak identity the
// clients are created (overlapped) inside that transaction, before it commits, and deleted
// again when anything fails, so a failure leaves neither a half-created device nor, where
// Keycloak can still be reached, an orphan client.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/secret_box.hpp"
#include "fleet/models.hpp"
#include "idp/local.hpp"
#include "idp/provider.hpp"
#include "pki/authority.hpp"
#include "store/devices.hpp"

namespace iotfleet::fleet {

inline constexpr std::size_t kMaxDevicesPerCreate = 100000;

struct DeviceSpec {
  std::string model_code;
  nlohmann::json config = nlohmann::json::object();
  std::optional<std::string> name;  // with count > 1 each device gets "<name>-<n>"
  std::size_t count = 1;
  std::string identity = "local";  // local | keycloak | cert
};

/// A cert identity's credential, returned once by create_devices: the private key is never
/// stored, so the caller writes it into the device's package or it is gone.
struct IssuedCertificate {
  std::string key_pem;
  std::string certificate_pem;
  std::string serial;
  std::string not_after;  // ISO UTC
};

struct CreatedDevice {
  std::string key;
  std::string client_id;
  std::string model;
  std::optional<IssuedCertificate> certificate;  // cert identity only
};

/// What the local identity needs to issue secrets.
struct LocalSecrets {
  const core::SecretBox& box;
  const idp::Pepper& pepper;
};

/// What device creation needs besides the database: the secret box always (every secret is
/// kept sealed in the row), the pepper for local identities, the provider for Keycloak ones.
struct IdentitySources {
  const core::SecretBox& box;
  const idp::Pepper* pepper = nullptr;
  idp::IdentityProvider* keycloak = nullptr;
  pki::Authority* ca = nullptr;  // cert identities: the device CA, unlocked
  int certificate_days = 365;
};

using Progress = std::function<void(std::size_t done, std::size_t total)>;

/// "iotdevice-<model>-<key>", the client id convention of the reference system.
std::string client_id_for(const std::string& model_code, const std::string& device_key);

core::Result<std::vector<CreatedDevice>> create_devices(Session& s, const DeviceSpec& spec,
                                                        const IdentitySources& identities,
                                                        const Progress& progress = {});
/// Local identities only.
core::Result<std::vector<CreatedDevice>> create_devices(Session& s, const DeviceSpec& spec,
                                                        const LocalSecrets& secrets,
                                                        const Progress& progress = {});
core::Result<std::vector<store::Device>> list_devices(Session& s, const std::optional<std::string>& model_code,
                                                      const std::optional<std::string>& rotation_state,
                                                      bool only_inactive);
core::Result<store::Device> show_device(Session& s, const std::string& key);
core::Result<store::Device> set_device_config(Session& s, const std::string& key, const nlohmann::json& config);
core::Result<store::Device> set_device_active(Session& s, const std::string& key, bool active);

struct DeviceCredential {
  store::Device device;
  std::string secret;
};
/// The device's current secret (local or Keycloak), opened from the secret box (audited as a
/// package download).
core::Result<DeviceCredential> read_credential(Session& s, const std::string& key, const core::SecretBox& box);

/// What the identity of a device looks like to its provider (name, description, secret).
idp::IdentitySpec identity_spec(const store::Device& device, std::string secret);

/// Throws not_found naming the key (and, for a malformed key, says what a key looks like).
store::Device require_device(pqxx::transaction_base& tx, const std::string& key, bool for_update = false);

}  // namespace iotfleet::fleet
