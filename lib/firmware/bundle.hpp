#pragma once
// The reference system's firmware bundle: a ZIP holding <code>.bin (the image) and extras kept
// beside it (<code>.elf, <code>.map, sdkconfig, version.json). Read with libzip from memory;
// entry counts and sizes are checked before anything is decompressed (no ZIP bombs).

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace iotfleet::firmware {

inline constexpr std::size_t kMaxBundleEntries = 32;
inline constexpr std::size_t kMaxBundleBytes = 128 * 1024 * 1024;  // uncompressed, all entries

struct BundleFile {
  std::string name;
  std::string bytes;
};

struct Bundle {
  BundleFile image;
  std::vector<BundleFile> extras;
  std::optional<std::string> declared_version;  // "version" from version.json, when present
};

/// True when the bytes start like a ZIP archive ("PK\3\4").
bool looks_like_zip(std::span<const std::uint8_t> bytes);

/// Picks the image: "<model_code>.bin", else the only .bin. Entry names must be plain file names
/// (folders in the archive are flattened; a name that appears twice is refused).
core::Result<Bundle> read_bundle(std::span<const std::uint8_t> zip, const std::string& model_code);

}  // namespace iotfleet::firmware
