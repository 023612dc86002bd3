#pragma once
// The device identities for a Mosquitto configured with files instead of the dynamic-security
// plugin: `iot-provision mqtt export` writes its password_file and acl_file from the database.
// A device with a secret (local or Keycloak identity) connects with user name = its client id
// and password = its current secret, exactly what its provisioning package tells it
// (client_id, client_secret). A device with a certificate identity is in the ACL under its
// certificate's CN, the device key (use_identity_as_username), and has no password line.
// Inactive devices are left out, so deactivating a device and re-exporting locks it out.

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/secret_box.hpp"
#include "fleet/models.hpp"

namespace iotfleet::fleet {

struct BrokerFiles {
  std::string passwd;  // mosquitto_passwd `$7$` lines
  std::string acl;
  std::size_t password_devices = 0;
  std::size_t certificate_devices = 0;
  std::size_t inactive_skipped = 0;
};

/// Builds both files from every device row. Fails, naming the device, when a secret does not
/// open (a wrong IOT_SECRET_KEY) or an identifier cannot go in the files.
core::Result<BrokerFiles> export_broker_files(Session& s, const core::SecretBox& box,
                                              core::RandomSource& rng = core::system_random());

}  // namespace iotfleet::fleet
