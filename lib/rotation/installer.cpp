#include "rotation/installer.hpp"

#include "core/encoding.hpp"

namespace iotfleet::rotation {

core::Status IdentityInstaller::install(pqxx::work& tx, const DeviceIdentity& device,
                                        const std::string& secret) {
  const std::string sealed = box_.seal(secret, idp::device_secret_context(device.key));
  if (device.identity_kind == "local") {
    if (!pepper_)
      return core::Error::usage("device " + device.key +
                                ": a local identity needs IOT_SECRET_PEPPER to rotate");
    const auto hmac = idp::local_secret_hmac(*pepper_, device.key, secret);
    tx.exec_params0(
        "UPDATE devices SET secret_hmac = decode($2, 'hex'), secret_sealed = $3, "
        "updated_at = now() WHERE key = $1",
        device.key, core::hex_encode(hmac), sealed);
    return core::ok_status();
  }
  if (device.identity_kind == "keycloak") {
    auto status = core::capture([&]() -> core::Status {
      return keycloak_().set_secret(device.client_id, secret);
    });
    if (!status) return status.error();
    tx.exec_params0("UPDATE devices SET secret_sealed = $2, updated_at = now() WHERE key = $1",
                    device.key, sealed);
    return core::ok_status();
  }
  return core::Error::conflict("device " + device.key + ": '" + device.identity_kind +
                               "' identities are not rotated by this version");
}

}  // namespace iotfleet::rotation
