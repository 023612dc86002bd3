// Why this parser looks the way it does (layout: ../shared/specs/formats.md, "ESP32 application
// image"; behaviour checked against esptool v4.12.0 in ../shared/fixtures/esp32/README.md):
//
// - Images come from operators and CI and are later served to devices, so every byte is
//   untrusted. All reads go through checked offsets; a length field is compared with what is left
//   of the input before anything uses it, and the only allocation that depends on a header value
//   is the segment list, capped at 16 before it is reserved.
// - esptool reads segment headers until the end of the file and only then applies its "at most
//   16 segments" rule, so a corrupt count makes it report a bogus segment read far into the data.
//   We check the count first, which names the real problem.
// - A wrong checksum or hash does not stop parsing: esptool prints the full report for such an
//   image, and an operator wants to see what a corrupt file claims to be. check_integrity() is
//   the separate verdict; the CLI prints the report and then fails.
// - Strings from esp_app_desc_t are reduced to printable ASCII so a hostile image can neither put
//   terminal escapes on an operator's screen nor produce invalid UTF-8 in JSON.

#include "firmware/image.hpp"

#include "core/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "core/encoding.hpp"
#include "core/files.hpp"
#include "firmware/chips.hpp"

namespace iotfleet::firmware {
namespace {

using core::Error;

constexpr std::size_t kCommonHeaderSize = 8;
constexpr std::size_t kHeaderSize = kCommonHeaderSize + 16;  // with the extended header
constexpr std::size_t kSegmentHeaderSize = 8;
constexpr std::size_t kAppDescSize = 256;
constexpr std::uint8_t kChecksumSeed = 0xEF;

std::string hex_fixed(std::uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, value);
  return buf;
}

// Little-endian reads; callers have checked that offset + width <= bytes.size().
std::uint16_t u16_at(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] | (b[off + 1] << 8));
}
std::uint32_t u32_at(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
}

Error truncated(std::size_t size, const std::string& what) {
  return Error::failure("truncated at offset " + std::to_string(size) + " (" + what + ")");
}

// A NUL-terminated char[N] field, reduced to printable ASCII (see the top of the file).
std::string c_string(std::span<const std::uint8_t> field) {
  std::string out;
  for (std::uint8_t c : field) {
    if (c == 0) break;
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  return out;
}

std::string name_or_unknown(std::optional<std::string_view> name, unsigned raw) {
  if (name) return std::string(*name);
  return "unknown (" + hex_fixed(raw, 1) + ")";
}

AppDescription parse_app_desc(std::span<const std::uint8_t> d) {
  // d holds exactly kAppDescSize bytes; offsets are relative to the start of esp_app_desc_t.
  AppDescription app;
  app.magic = u32_at(d, 0x00);
  app.magic_ok = app.magic == kAppDescMagic;
  app.secure_version = u32_at(d, 0x04);
  app.version = c_string(d.subspan(0x10, 32));
  app.project_name = c_string(d.subspan(0x30, 32));
  app.time = c_string(d.subspan(0x50, 16));
  app.date = c_string(d.subspan(0x60, 16));
  app.idf_ver = c_string(d.subspan(0x70, 32));
  std::copy_n(d.begin() + 0x90, app.elf_sha256.size(), app.elf_sha256.begin());
  app.min_efuse_blk_rev_full = u16_at(d, 0xB0);
  app.max_efuse_blk_rev_full = u16_at(d, 0xB2);
  app.mmu_page_size = d[0xB4];
  return app;
}

void read_header(std::span<const std::uint8_t> b, ImageInfo& info) {
  info.segment_count = b[1];
  info.flash_mode_raw = b[2];
  info.flash_size_freq = b[3];
  info.entry_point = u32_at(b, 4);
  info.wp_pin = b[8];
  info.spi_pin_drv = {b[9], b[10], b[11]};
  info.chip_id = u16_at(b, 12);
  info.min_rev = b[14];
  info.min_rev_full = u16_at(b, 15);
  info.max_rev_full = u16_at(b, 17);
  info.hash_appended = b[23] == 1;

  const auto size_nibble = static_cast<std::uint8_t>(info.flash_size_freq >> 4);
  const auto freq_nibble = static_cast<std::uint8_t>(info.flash_size_freq & 0x0F);
  const auto chip = chip_name(info.chip_id);
  info.chip = chip ? std::string(*chip) : "unknown (chip id " + std::to_string(info.chip_id) + ")";
  info.flash_mode = name_or_unknown(flash_mode_name(info.flash_mode_raw), info.flash_mode_raw);
  info.flash_size = name_or_unknown(flash_size_name(size_nibble), size_nibble);
  info.flash_freq = name_or_unknown(flash_freq_name(info.chip_id, freq_nibble), freq_nibble);
}

core::Result<ImageInfo> parse(std::span<const std::uint8_t> b) {
  const std::size_t size = b.size();
  if (size == 0) return truncated(0, "empty file; an image starts with a 24-byte header");
  if (b[0] != kImageMagic)
    return Error::failure("bad magic " + hex_fixed(b[0], 2) + " (expected 0xE9)",
                          "this is not an ESP32 application image");
  if (size < kHeaderSize) return truncated(size, "the image header needs 24 bytes");
  if (b[1] > kMaxSegments)
    return Error::failure("segment count " + std::to_string(b[1]) + " out of range (at most 16)");
  if (b[23] > 1)
    return Error::failure("hash_appended is " + std::to_string(b[23]) +
                          " at offset 23 (expected 0 or 1)");

  ImageInfo info;
  info.size = size;
  read_header(b, info);

  info.segments.reserve(info.segment_count);
  std::uint8_t checksum = kChecksumSeed;
  std::size_t pos = kHeaderSize;
  for (std::size_t i = 0; i < info.segment_count; ++i) {
    if (size - pos < kSegmentHeaderSize)
      return truncated(size, "segment " + std::to_string(i) + " header at offset " +
                                 std::to_string(pos) + " needs 8 bytes");
    Segment seg{i, u32_at(b, pos), u32_at(b, pos + 4), pos};
    const std::size_t data = pos + kSegmentHeaderSize;
    if (seg.length > size - data)
      return truncated(size, "segment " + std::to_string(i) + " at " + hex_fixed(seg.load_addr, 8) +
                                 " needs " + std::to_string(seg.length) +
                                 " bytes of data from offset " + std::to_string(data) +
                                 ", the file has " + std::to_string(size - data));
    for (std::uint8_t byte : b.subspan(data, seg.length)) checksum ^= byte;
    pos = data + seg.length;
    info.segments.push_back(seg);
  }

  // The checksum is the last byte of the 16-byte aligned block that follows the segments.
  info.checksum_offset = pos + 15 - pos % 16;
  if (info.checksum_offset >= size)
    return truncated(size,
                     "the checksum byte is at offset " + std::to_string(info.checksum_offset));
  info.checksum_stored = b[info.checksum_offset];
  info.checksum_computed = checksum;
  info.image_end = info.checksum_offset + 1;

  if (info.hash_appended) {
    if (size - info.image_end < Sha256{}.size())
      return truncated(size, "the appended SHA-256 needs 32 bytes from offset " +
                                 std::to_string(info.image_end) + ", the file has " +
                                 std::to_string(size - info.image_end));
    Sha256 stored{};
    std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(info.image_end), stored.size(),
                stored.begin());
    info.sha256_stored = stored;
    info.sha256_computed = core::sha256(b.first(info.image_end));
    info.image_end += stored.size();
  }
  info.trailing_bytes = size - info.image_end;

  if (!info.segments.empty() && info.segments[0].length >= kAppDescSize)
    info.app =
        parse_app_desc(b.subspan(info.segments[0].file_offset + kSegmentHeaderSize, kAppDescSize));
  return info;
}

void append_problem(std::string& all, const std::string& problem) {
  if (!all.empty()) all += "; ";
  all += problem;
}

}  // namespace

std::optional<bool> ImageInfo::sha256_valid() const {
  if (!sha256_stored || !sha256_computed) return std::nullopt;
  return *sha256_stored == *sha256_computed;
}

core::Result<ImageInfo> parse_image(std::span<const std::uint8_t> bytes) {
  return core::capture([&] { return parse(bytes); });
}

core::Result<ImageInfo> read_image(const std::string& path) {
  auto data = core::read_file(path, kMaxImageFileSize);
  if (!data) return data.error();
  auto info = parse_image(core::as_bytes(*data));
  if (!info) {
    core::Error e = info.error();
    e.message = path + ": " + e.message;
    return e;
  }
  info->file = path == "-" ? path : std::filesystem::path(path).filename().string();
  return info;
}

core::Status check_integrity(const ImageInfo& info) {
  std::string problems;
  if (!info.checksum_valid())
    append_problem(problems, "checksum mismatch: stored " + hex_fixed(info.checksum_stored, 2) +
                                 ", computed " + hex_fixed(info.checksum_computed, 2));
  if (info.sha256_valid() == false)
    append_problem(problems, "SHA-256 mismatch: stored " + core::hex_encode(*info.sha256_stored) +
                                 ", computed " + core::hex_encode(*info.sha256_computed));
  if (problems.empty()) return core::ok_status();
  return Error::failure(problems, "the file is damaged; rebuild or download it again");
}

core::Status validate_for_upload(const ImageInfo& info) {
  std::string problems;
  if (auto integrity = check_integrity(info); !integrity) problems = integrity.error().message;
  if (!info.app) {
    const std::size_t first = info.segments.empty() ? 0 : info.segments[0].length;
    append_problem(problems,
                   "no application description (esp_app_desc_t): the first segment holds " +
                       std::to_string(first) + " bytes, it needs 256");
  } else if (!info.app->magic_ok) {
    append_problem(problems, "no application description: magic at offset 0x20 is " +
                                 hex_fixed(info.app->magic, 8) + " (expected 0xabcd5432)");
  } else if (info.app->version.empty()) {
    append_problem(problems, "the application description has an empty version");
  }
  if (problems.empty()) return core::ok_status();
  return Error::failure(problems,
                        "only complete, intact ESP-IDF application images can be uploaded");
}

}  // namespace iotfleet::firmware
