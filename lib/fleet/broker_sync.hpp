#pragma once
// Device identities in a Mosquitto that runs the dynamic-security plugin: `iot-provision mqtt
// sync` makes the plugin's clients match the database. Every active device with a secret gets a
// client (user name = client id, password = its current secret, as its package says) and a
// role of its own (mqtt::device_role_command); clients of devices that are gone or inactive are
// deleted. The plugin keeps only password hashes, so each client's textdescription carries a
// fingerprint of the secret (SHA-256 of a fixed label and the 256-bit secret, 128 bits shown):
// a second sync changes nothing and does not kick connected devices, and a rotated secret is
// set again. Certificate identities are not handled here.

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/secret_box.hpp"
#include "fleet/models.hpp"
#include "mqtt/dynsec.hpp"

namespace iotfleet::fleet {

struct BrokerSyncReport {
  std::vector<std::string> created;  // client ids
  std::vector<std::string> updated;  // password set again (rotated secret)
  std::vector<std::string> removed;  // device gone or inactive
  std::size_t unchanged = 0;
  std::size_t certificate_devices_skipped = 0;
};

core::Result<BrokerSyncReport> sync_broker_identities(Session& s, const core::SecretBox& box,
                                                      mqtt::DynsecClient& broker);

/// The fingerprint kept in a client's textdescription.
std::string secret_fingerprint(const std::string& secret);

}  // namespace iotfleet::fleet
