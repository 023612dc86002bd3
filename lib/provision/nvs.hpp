#pragma once
// ESP-IDF NVS partition images (format version 2, multipage blobs), laid out exactly as
// Espressif's nvs_partition_gen.py lays them out. Spec: shared/specs/formats.md, "ESP-IDF NVS
// partition"; reference outputs: shared/fixtures/nvs/.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/encoding.hpp"
#include "core/error.hpp"

namespace iotfleet::provision::nvs {

enum class Type { u8, i8, u16, i16, u32, i32, u64, i64, string, blob };

/// Integers may be given as either std::uint64_t or std::int64_t (the range of `type` is what
/// counts); strings as std::string (UTF-8, stored with a trailing NUL); blobs as core::Bytes.
using Value = std::variant<std::uint64_t, std::int64_t, std::string, core::Bytes>;

struct Item {
  std::string namespace_name;
  std::string key;
  Type type;
  Value value;
};

inline constexpr std::size_t page_size = 0x1000;
/// Two data pages' worth plus the reserved page a read/write partition keeps empty.
inline constexpr std::size_t min_partition_size = 0x3000;
/// Keys and namespace names: at most 15 bytes (16 with the NUL).
inline constexpr std::size_t max_key_length = 15;
/// Longest string in bytes, without the NUL, that the generator can place (see nvs.cpp).
inline constexpr std::size_t max_string_length = 3967;
/// Namespace indexes 1..254 (0 holds the namespace definitions, 255 means "any").
inline constexpr std::size_t max_namespaces = 254;

/// "u8", "string", "blob", ...
std::string_view type_name(Type type);

/// The NVS CRC-32: zlib's crc32 with the register preset to 0xFFFFFFFF (Python's
/// `zlib.crc32(data, 0xFFFFFFFF)`, ESP ROM `crc32_le(0xFFFFFFFF, ...)`). "123456789" gives
/// 0xD202D277, not the usual 0xCBF43926.
std::uint32_t crc32(std::span<const std::uint8_t> data);

/// Checks one item on its own: key and namespace name of 1..15 bytes without NUL, a value of the
/// kind `type` needs, integers within the range of `type`, strings of at most 3967 bytes.
/// The error message names the namespace and the key.
core::Status validate_item(const Item& item);

/// Builds a partition image of exactly `partition_size` bytes, byte-identical to what
/// `nvs_partition_gen.py generate <csv> <out> <size> --version 2` writes for the same entries,
/// except that each item goes into the namespace it names (the generator keeps writing into the
/// most recently created namespace when a CSV returns to an earlier one). A namespace definition
/// is written just before the first item that uses it; indexes are 1, 2, ... in that order.
/// The last page (the reserved page of a read/write partition) and unused pages stay all 0xFF.
///
/// Fails (ErrorKind::failure, nothing produced) when an item is invalid (see validate_item), a
/// key appears twice in one namespace, there are more than 254 namespaces, the size is not a
/// multiple of 0x1000 or below 0x3000, or the data needs more pages than the partition has.
core::Result<core::Bytes> build_partition(const std::vector<Item>& items,
                                          std::size_t partition_size);

}  // namespace iotfleet::provision::nvs
