#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace iotfleet::core {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// SHA-256 through OpenSSL's EVP interface.
Sha256Digest sha256(std::span<const std::uint8_t> data);

}  // namespace iotfleet::core
