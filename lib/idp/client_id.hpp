#pragma once
// Device client ids: "iotdevice-<model_code>-<device_key>", the convention of the reference
// system (specs/keycloak.md). Model codes are [a-z0-9_]{1,50} and keys [a-z0-9]{8}, so the last
// '-' separates them unambiguously.

#include <optional>
#include <string>
#include <string_view>

namespace iotfleet::idp {

inline constexpr std::string_view kClientIdPrefix = "iotdevice-";

std::string client_id_for(std::string_view model_code, std::string_view device_key);

struct DeviceClientId {
  std::string model_code;
  std::string device_key;
};

/// The model and key of a device client id; nullopt for anything else (admin clients, typos,
/// upper case, extra characters). Never throws.
std::optional<DeviceClientId> parse_client_id(std::string_view client_id);

}  // namespace iotfleet::idp
