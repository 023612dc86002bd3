#include "core/device_key.hpp"

namespace iotfleet::core {

std::string generate_device_key(RandomSource& rng) {
  return random_string(kDeviceKeyLength, kDeviceKeyAlphabet, rng);
}

bool is_valid_device_key(std::string_view key) {
  if (key.size() != kDeviceKeyLength) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool is_valid_model_code(std::string_view code) {
  if (code.empty() || code.size() > 50) return false;
  for (char c : code)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace iotfleet::core
