#pragma once
// Reading fields of a flat JSON object (the token response, the provisioning package, the
// firmware metadata) without building a document: each call scans the top level of the object.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace iot_device::detail {

/// Copies the unescaped string value of `key` into out (NUL-terminated); returns its length, or
/// -1 when the key is absent, not a string, does not fit, or the text is not a JSON object.
/// \uXXXX escapes are decoded to UTF-8 (surrogate pairs included).
int json_string(std::string_view json, std::string_view key, char* out, std::size_t cap);

/// The non-negative integer value of `key` (at most 2^32-1); false when absent or not one.
bool json_uint(std::string_view json, std::string_view key, std::uint32_t& value);

}  // namespace iot_device::detail
