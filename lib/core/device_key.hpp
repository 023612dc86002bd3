#pragma once
// Device keys: 8 characters [a-z0-9] from the CSPRNG. Uniqueness is the database's job
// (a unique index; callers regenerate on collision), not this function's.

#include <string>
#include <string_view>

#include "core/random.hpp"

namespace iotfleet::core {

inline constexpr std::size_t kDeviceKeyLength = 8;
inline constexpr std::string_view kDeviceKeyAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

std::string generate_device_key(RandomSource& rng = system_random());
bool is_valid_device_key(std::string_view key);

/// Model codes: ^[a-z0-9_]{1,50}$.
bool is_valid_model_code(std::string_view code);

}  // namespace iotfleet::core
