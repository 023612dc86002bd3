#include "auth/database_directory.hpp"

#include "core/device_key.hpp"
#include "store/database.hpp"
#include "store/devices.hpp"

namespace iotfleet::auth {

core::Result<std::optional<DeviceRecord>> DatabaseDirectory::find(const std::string& device_key) {
  if (!core::is_valid_device_key(device_key)) return std::optional<DeviceRecord>();
  return store::in_transaction(db_, "look up device '" + device_key + "'", [&](pqxx::work& tx) {
    const auto device = store::DeviceRepository(tx).find(device_key);
    if (!device) return std::optional<DeviceRecord>();
    DeviceRecord r{device->key,           device->model_code, device->client_id,
                   device->identity_kind, device->active,     {}};
    if (r.identity_kind == "local") {
      const auto row = tx.exec_params1(
          "SELECT encode(secret_hmac, 'hex') FROM devices WHERE id = $1", device->id);
      if (!row[0].is_null()) r.secret_hmac = core::hex_decode(row[0].as<std::string>());
    }
    return std::optional(std::move(r));
  });
}

}  // namespace iotfleet::auth
