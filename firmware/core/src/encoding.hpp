#pragma once
// The two encodings the core writes itself: Base64 (HTTP Basic credentials) and
// application/x-www-form-urlencoded (the token request's body). Hex for SHA-256 digests.

#include <cstdint>
#include <string_view>

#include "text.hpp"

namespace iot_device::detail {

/// Standard alphabet with padding (RFC 4648 §4).
void base64_encode(std::string_view data, TextBuilder& out);

/// Unreserved characters as they are, space as '+', everything else %XX (WHATWG URL-encoded form).
void form_encode(std::string_view value, TextBuilder& out);

/// Lower-case hex of a digest.
void hex_encode(const std::uint8_t* data, std::size_t n, TextBuilder& out);

/// ASCII case-insensitive equality (hex digests may come in either case).
bool equal_ignoring_case(std::string_view a, std::string_view b);

}  // namespace iot_device::detail
