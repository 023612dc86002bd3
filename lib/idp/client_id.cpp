#include "idp/client_id.hpp"

#include "core/device_key.hpp"

namespace iotfleet::idp {

std::string client_id_for(std::string_view model_code, std::string_view device_key) {
  std::string id(kClientIdPrefix);
  id += model_code;
  id += '-';
  id += device_key;
  return id;
}

std::optional<DeviceClientId> parse_client_id(std::string_view client_id) {
  if (!client_id.starts_with(kClientIdPrefix)) return std::nullopt;
  const std::string_view rest = client_id.substr(kClientIdPrefix.size());
  const auto dash = rest.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view model = rest.substr(0, dash), key = rest.substr(dash + 1);
  if (!core::is_valid_model_code(model) || !core::is_valid_device_key(key)) return std::nullopt;
  return DeviceClientId{std::string(model), std::string(key)};
}

}  // namespace iotfleet::idp
