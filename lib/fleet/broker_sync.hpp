#pragma once
// Device identities in a Mosquitto that runs the dynamic-security plugin: `iot-provision mqtt
// sync` makes the plugin's clients match the database. Every active device with a secret gets a
// client (user name = client id, password = its current secret, as its package says) and a
// role of its own (mqtt::device_role_command); clients of devices that are gone or inactive are
// deleted. The plugin keeps only password hashes, so each client's textdescription carries a
// fingerprint of the secret (SHA-256 of a fixed label and the 256-bit secret, 128 bits shown):
// a second sync changes nothing and does not kick connected devices, and a rotated secret is
// set again. Certificate identities are not handled here.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/secret_box.hpp"
#include "fleet/models.hpp"
#include "mqtt/dynsec.hpp"

namespace iotfleet::fleet {

/// dynsec: device commands keep the broker in step; none: operators run `mqtt sync`/`mqtt export`.
inline constexpr core::Setting kMqttIdentities{"--mqtt-identities", "MQTT_IDENTITIES", "none"};

struct BrokerSyncReport {
  std::vector<std::string> created;  // client ids
  std::vector<std::string> updated;  // password set again (rotated secret)
  std::vector<std::string> removed;  // device gone or inactive
  std::size_t unchanged = 0;
  std::size_t certificate_devices_skipped = 0;
};

core::Result<BrokerSyncReport> sync_broker_identities(Session& s, const core::SecretBox& box,
                                                      mqtt::DynsecClient& broker);

/// A device to bring in step: its key, and the client id it had (for one already deleted).
struct BrokerDevice {
  std::string key;
  std::string client_id;
};

/// The same for the named devices only, without listing the broker's clients: what
/// `device create|delete|activate|deactivate` do when MQTT_IDENTITIES=dynsec, and what iot-serve
/// does when a rotation completes. A device that is gone, inactive or has a certificate loses its
/// client; one with a secret gets a client whose password is that secret.
core::Result<BrokerSyncReport> sync_broker_devices(Session& s, const core::SecretBox& box,
                                                   mqtt::DynsecClient& broker,
                                                   const std::vector<BrokerDevice>& devices);

/// One device at a time, for a long-running process (iot-serve when a rotation completes): one
/// admin connection made on first use and made again after a failure. Thread-safe.
class BrokerIdentityKeeper {
 public:
  BrokerIdentityKeeper(mqtt::Settings admin, std::chrono::milliseconds timeout)
      : admin_(std::move(admin)), timeout_(timeout) {}
  core::Result<BrokerSyncReport> keep(Session& s, const core::SecretBox& box,
                                      const BrokerDevice& device);

 private:
  mqtt::Settings admin_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::unique_ptr<mqtt::DynsecClient> broker_;
};

/// The fingerprint kept in a client's textdescription.
std::string secret_fingerprint(const std::string& secret);

}  // namespace iotfleet::fleet
