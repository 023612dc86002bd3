#include "fleet/broker_files.hpp"

#include "idp/provider.hpp"
#include "mqtt/passwd.hpp"
#include "store/database.hpp"
#include "store/devices.hpp"

namespace iotfleet::fleet {

core::Result<BrokerFiles> export_broker_files(Session& s, const core::SecretBox& box,
                                              core::RandomSource& rng) {
  auto devices = store::in_transaction(s.db, "read the devices", [](pqxx::work& tx) {
    return store::DeviceRepository(tx).list({});
  });
  if (!devices) return devices.error();
  return core::capture([&]() -> BrokerFiles {
    BrokerFiles files;
    std::vector<mqtt::AclDevice> acl;
    for (const store::Device& d : *devices) {
      if (!d.active) {
        ++files.inactive_skipped;
        continue;
      }
      if (d.identity_kind == "cert") {
        acl.push_back({d.key, d.client_id, d.model_code, d.key});
        ++files.certificate_devices;
        continue;
      }
      if (!d.secret_sealed)
        throw core::Failure(core::Error::failure("device '" + d.key + "' has no sealed secret"));
      auto secret = box.open(*d.secret_sealed, idp::device_secret_context(d.key));
      if (!secret)
        throw core::Failure(core::Error::failure(
            "device '" + d.key + "': " + secret.error().message, secret.error().hint));
      files.passwd += mqtt::passwd_line(d.client_id, *secret, rng).take() + "\n";
      acl.push_back({d.key, d.client_id, d.model_code, d.client_id});
      ++files.password_devices;
    }
    files.acl = mqtt::acl_file(acl).take();
    return files;
  });
}

}  // namespace iotfleet::fleet
