#pragma once
// Byte encodings used across the toolkit. Base64 goes through OpenSSL's EVP encoder.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace iotfleet::core {

using Bytes = std::vector<std::uint8_t>;

std::string base64_encode(std::span<const std::uint8_t> data);
/// Standard alphabet with padding; nullopt on any invalid character or length.
std::optional<Bytes> base64_decode(std::string_view text);
/// URL-safe alphabet, no padding (RFC 4648 §5), as used in JWTs and local secrets.
std::string base64url_encode(std::span<const std::uint8_t> data);
std::optional<Bytes> base64url_decode(std::string_view text);

std::string hex_encode(std::span<const std::uint8_t> data);
std::optional<Bytes> hex_decode(std::string_view text);

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Constant-time comparison (OpenSSL CRYPTO_memcmp); false when the lengths differ.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace iotfleet::core
