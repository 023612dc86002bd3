#pragma once
// ESP32 application images (the .bin written to an app partition): parsing untrusted bytes,
// integrity checks, and the rules an image must meet before it is uploaded.
// Layout: ../shared/specs/formats.md, "ESP32 application image".

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/digest.hpp"
#include "core/error.hpp"

namespace iotfleet::firmware {

inline constexpr std::uint8_t kImageMagic = 0xE9;
inline constexpr std::size_t kMaxSegments = 16;
inline constexpr std::uint32_t kAppDescMagic = 0xABCD5432;
/// Largest file read_image() accepts; app partitions are far smaller.
inline constexpr std::size_t kMaxImageFileSize = 64 * 1024 * 1024;

using Sha256 = core::Sha256Digest;

struct Segment {
  std::size_t index = 0;
  std::uint32_t load_addr = 0;  // 0 for padding segments
  std::uint32_t length = 0;     // data length; the data starts at file_offset + 8
  std::size_t file_offset = 0;  // offset of the segment's 8-byte header
};

/// esp_app_desc_t, read from the first 256 bytes of the first segment's data (file offset 0x20).
/// Strings are the NUL-terminated field contents with every byte outside printable ASCII
/// replaced by '?', so they are safe to print on a terminal and to put in JSON.
struct AppDescription {
  std::uint32_t magic = 0;
  bool magic_ok = false;
  std::uint32_t secure_version = 0;
  std::string version;
  std::string project_name;
  std::string time;
  std::string date;
  std::string idf_ver;
  Sha256 elf_sha256{};
  std::uint16_t min_efuse_blk_rev_full = 0;
  std::uint16_t max_efuse_blk_rev_full = 0;
  std::uint8_t mmu_page_size = 0;  // log2 of the page size; 0 when not set
};

/// Everything parse_image() reads from an image. Raw header values are kept beside their names.
struct ImageInfo {
  std::string file;  // file name (no folder), set by read_image(); empty from parse_image()
  std::size_t size = 0;

  // Common header (bytes 0-7).
  std::uint8_t segment_count = 0;
  std::uint8_t flash_mode_raw = 0;
  std::uint8_t flash_size_freq = 0;  // size in the high nibble, frequency in the low nibble
  std::uint32_t entry_point = 0;
  // Extended header (bytes 8-23).
  std::uint8_t wp_pin = 0;
  std::array<std::uint8_t, 3> spi_pin_drv{};  // clk/q, d/cs0, hd/wp drive settings (nibbles)
  std::uint16_t chip_id = 0;
  std::uint8_t min_rev = 0;  // legacy
  std::uint16_t min_rev_full = 0;
  std::uint16_t max_rev_full = 0;
  bool hash_appended = false;

  // esptool's names; "unknown (...)" when the value has none.
  std::string chip;
  std::string flash_mode;
  std::string flash_size;
  std::string flash_freq;

  std::vector<Segment> segments;  // at most kMaxSegments

  std::size_t checksum_offset = 0;
  std::uint8_t checksum_stored = 0;
  std::uint8_t checksum_computed = 0;
  std::optional<Sha256> sha256_stored;    // set when hash_appended
  std::optional<Sha256> sha256_computed;  // of bytes [0, checksum_offset + 1); when hash_appended
  std::size_t image_end = 0;              // first byte after the checksum or the appended hash
  std::size_t trailing_bytes = 0;         // bytes in the file after image_end (not covered)

  std::optional<AppDescription> app;  // absent when the first segment is shorter than 256 bytes

  bool checksum_valid() const { return checksum_stored == checksum_computed; }
  /// nullopt when no hash is appended.
  std::optional<bool> sha256_valid() const;
};

/// Parses an image from untrusted bytes. Every offset and length is checked against the input
/// before it is used; nothing is allocated in proportion to a length field.
/// Succeeds for any structurally readable image, even one whose checksum or hash is wrong (the
/// result says so; see check_integrity()). Fails (kind failure) with the first structural problem:
/// "bad magic 0x00 (expected 0xE9)", "segment count 255 out of range (at most 16)",
/// "hash_appended is 2 (expected 0 or 1)", "truncated at offset N (...)".
core::Result<ImageInfo> parse_image(std::span<const std::uint8_t> bytes);

/// Reads a file ("-" for standard input) and parses it; sets ImageInfo::file to its file name.
/// Fails with not_found when the file does not exist; messages start with the path.
core::Result<ImageInfo> read_image(const std::string& path);

/// Fails (kind failure) when the stored checksum or the appended SHA-256 does not match the
/// contents, naming every mismatch: "checksum mismatch: stored 0xbb, computed 0x44; SHA-256
/// mismatch: stored b0a96ea5..., computed 9c06d29c...".
core::Status check_integrity(const ImageInfo& info);

/// The rules for an image accepted for upload (formats.md): check_integrity() plus an
/// application description with the right magic and a non-empty version. Names every problem.
core::Status validate_for_upload(const ImageInfo& info);

}  // namespace iotfleet::firmware
