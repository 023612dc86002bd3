#include "firmware/image.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/encoding.hpp"
#include "firmware/chips.hpp"
#include "firmware/image_report.hpp"

namespace iotfleet::firmware {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

const fs::path kDir = fs::path(IOT_FIXTURES_DIR) / "esp32";
// The small image every corrupt-*.bin was derived from; mutation tests start from it too.
const char* const kBase = "hello_world-esp32c2.bin";

// What each known corrupt fixture must be refused for. A new corrupt-*.bin without an entry is
// still required to be refused.
const std::map<std::string, std::string> kCorruptReasons{
    {"corrupt-bad-magic.bin", "bad magic 0x00 (expected 0xE9)"},
    {"corrupt-flipped-byte.bin", "checksum mismatch: stored 0xbb, computed 0x44"},
    {"corrupt-segcount-ff.bin", "segment count 255 out of range (at most 16)"},
    {"corrupt-truncated.bin",
     "truncated at offset 26912 (segment 2 at 0x40380000 needs 28824 bytes of data from offset "
     "3884, the file has 23028)"},
};

Bytes read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << p;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> images() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.path().extension() == ".bin") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool is_corrupt(const fs::path& p) { return p.filename().string().rfind("corrupt-", 0) == 0; }

fs::path sibling(const fs::path& bin, const std::string& suffix) {
  return kDir / (bin.stem().string() + suffix);
}

// The reason an image is refused: a parse error, else an integrity error, else "".
std::string refusal(std::span<const std::uint8_t> bytes) {
  auto info = parse_image(bytes);
  if (!info) return info.error().message;
  auto integrity = check_integrity(*info);
  return integrity ? "" : integrity.error().message;
}

// Makes the checksum byte and the appended hash match the (edited) contents again.
void reseal(Bytes& b) {
  auto info = parse_image(b);
  ASSERT_TRUE(info) << info.error().message;
  b[info->checksum_offset] = info->checksum_computed;
  if (!info->hash_appended) return;
  info = parse_image(b);
  ASSERT_TRUE(info);
  std::copy(info->sha256_computed->begin(), info->sha256_computed->end(),
            b.begin() + static_cast<std::ptrdiff_t>(info->checksum_offset + 1));
}

void put_u32(Bytes& b, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

TEST(FirmwareImage, FixturesFolderHoldsImages) {
  const auto all = images();
  EXPECT_GE(std::count_if(all.begin(), all.end(), [](auto& p) { return !is_corrupt(p); }), 1);
  for (const auto& [name, reason] : kCorruptReasons)
    EXPECT_TRUE(fs::exists(kDir / name)) << name << " is missing from " << kDir;
}

TEST(FirmwareImage, EveryFixtureMatchesItsExpectedJson) {
  for (const fs::path& bin : images()) {
    SCOPED_TRACE(bin.filename().string());
    const fs::path expected_path = sibling(bin, ".expected.json");
    if (!is_corrupt(bin)) {
      EXPECT_TRUE(fs::exists(expected_path)) << "every valid image needs an expected JSON";
    }
    if (!fs::exists(expected_path)) continue;
    auto info = read_image(bin.string());
    ASSERT_TRUE(info) << info.error().message;
    const auto expected = nlohmann::json::parse(read_text(expected_path));
    const auto actual = to_json(*info);
    EXPECT_EQ(actual, expected) << "actual:\n"
                                << actual.dump(2) << "\nexpected:\n"
                                << expected.dump(2);
  }
}

TEST(FirmwareImage, ValidFixturesAreAcceptedForUpload) {
  for (const fs::path& bin : images()) {
    if (is_corrupt(bin)) continue;
    SCOPED_TRACE(bin.filename().string());
    auto info = read_image(bin.string());
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_TRUE(check_integrity(*info));
    auto status = validate_for_upload(*info);
    EXPECT_TRUE(status) << status.error().message;
    EXPECT_EQ(info->trailing_bytes, 0u);
  }
}

TEST(FirmwareImage, EveryCorruptFixtureIsRefusedWithItsReason) {
  std::set<std::string> seen;
  for (const fs::path& bin : images()) {
    if (!is_corrupt(bin)) continue;
    const std::string name = bin.filename().string();
    SCOPED_TRACE(name);
    seen.insert(name);
    const std::string why = refusal(read_bytes(bin));
    EXPECT_FALSE(why.empty()) << "a corrupt image was accepted";
    if (auto it = kCorruptReasons.find(name); it != kCorruptReasons.end()) {
      EXPECT_NE(why.find(it->second), std::string::npos) << "refused for: " << why;
    }
  }
  for (const auto& [name, reason] : kCorruptReasons) EXPECT_TRUE(seen.count(name)) << name;
}

TEST(FirmwareImage, FlippedByteNamesBothMismatches) {
  auto info = read_image((kDir / "corrupt-flipped-byte.bin").string());
  ASSERT_TRUE(info);
  auto status = validate_for_upload(*info);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().message,
            "checksum mismatch: stored 0xbb, computed 0x44; SHA-256 mismatch: stored "
            "b0a96ea50df2271626c8c8b24f37ea824ad1cb757cb9aad91700caf0d40f73d1, computed "
            "9c06d29c403bb12290ce7fea1406b23c28287807e4f7cb88ffe7d48977b3ba6d");
}

// The values esptool printed that the expected JSON only has as booleans.
TEST(FirmwareImage, ComputedChecksumAndHashAgreeWithEsptool) {
  for (const fs::path& bin : images()) {
    const std::string text = read_text(sibling(bin, ".esptool.txt"));
    auto info = parse_image(read_bytes(bin));
    if (!info) continue;
    SCOPED_TRACE(bin.filename().string());
    const std::string hash_line = "Validation hash: " + core::hex_encode(*info->sha256_computed);
    EXPECT_NE(text.find(hash_line), std::string::npos) << hash_line;
    char buf[64];
    std::snprintf(
        buf, sizeof buf,
        info->checksum_valid() ? "Checksum: 0x%02x (valid)" : "(invalid - calculated %02x)",
        info->checksum_valid() ? info->checksum_stored : info->checksum_computed);
    EXPECT_NE(text.find(buf), std::string::npos) << buf;
  }
}

// The human report says what esptool says, line for line, where the two print the same thing.
TEST(FirmwareImage, TextReportAgreesWithEsptool) {
  static const std::vector<std::string> kSameLines{"File size:",
                                                   "Detected image type:",
                                                   "Entry point",
                                                   "Segments:",
                                                   "Flash size:",
                                                   "Flash freq:",
                                                   "Flash mode:",
                                                   "WP pin:",
                                                   "Flash pins drive settings:",
                                                   "Chip ID:",
                                                   "Minimal chip revision:",
                                                   "Maximal chip revision:",
                                                   "Validation hash:",
                                                   "Project name:",
                                                   "App version:",
                                                   "Compile time:",
                                                   "ELF file SHA256:",
                                                   "ESP-IDF:",
                                                   "Minimal eFuse",
                                                   "Maximal eFuse",
                                                   "MMU page size:",
                                                   "Secure version:",
                                                   "Checksum: 0x"};
  for (const fs::path& bin : images()) {
    auto info = parse_image(read_bytes(bin));
    if (!info) continue;
    SCOPED_TRACE(bin.filename().string());
    const std::string esptool = read_text(sibling(bin, ".esptool.txt"));
    std::ostringstream out;
    write_text(out, *info);
    std::istringstream lines(out.str());
    std::size_t compared = 0;
    for (std::string line; std::getline(lines, line);) {
      const bool same = std::any_of(kSameLines.begin(), kSameLines.end(),
                                    [&](const auto& k) { return line.rfind(k, 0) == 0; });
      if (line.rfind("Checksum:", 0) == 0 && !info->checksum_valid()) continue;
      if (same) {
        ++compared;
        EXPECT_NE(esptool.find("\n" + line + "\n"), std::string::npos) << line;
      }
    }
    EXPECT_GE(compared, 20u);
    for (const Segment& s : info->segments) {
      char row[64];
      std::snprintf(row, sizeof row, "\n%7zu  %#07x  0x%08x  0x%08zx", s.index, s.length,
                    s.load_addr, s.file_offset);
      EXPECT_NE(esptool.find(row), std::string::npos) << row;
    }
  }
}

TEST(FirmwareImage, EveryTruncationIsAnErrorNeverACrash) {
  const Bytes full = read_bytes(kDir / kBase);
  ASSERT_GT(full.size(), 0u);
  for (std::size_t len = 0; len <= full.size(); ++len) {
    // An exact-size copy, so AddressSanitizer sees any read past the end.
    const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
    auto info = parse_image(cut);
    if (len == full.size()) {
      ASSERT_TRUE(info) << info.error().message;
    } else {
      ASSERT_FALSE(info) << "length " << len;
      ASSERT_EQ(info.error().message.rfind("truncated at offset " + std::to_string(len) + " (", 0),
                0u)
          << info.error().message;
    }
  }
}

TEST(FirmwareImage, SegmentLengthPastTheEndIsRefused) {
  const Bytes base = read_bytes(kDir / kBase);
  auto info = parse_image(base);
  ASSERT_TRUE(info);
  for (std::uint32_t length : {0xFFFFFFFFu, 0x80000000u, static_cast<std::uint32_t>(base.size())}) {
    Bytes b = base;
    put_u32(b, 24 + 4, length);  // segment 0's length field
    auto r = parse_image(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("truncated at offset 53824 (segment 0 at 0x3c008020 needs " +
                                          std::to_string(length) + " bytes",
                                      0),
              0u)
        << r.error().message;
  }
  // The last segment ends exactly at the end of the file: no room for the checksum.
  Bytes b = base;
  const Segment& last = info->segments.back();
  put_u32(b, last.file_offset + 4, static_cast<std::uint32_t>(b.size() - last.file_offset - 8));
  auto r = parse_image(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "truncated at offset 53824 (the checksum byte is at offset 53839)");
}

TEST(FirmwareImage, HashAppendedMustBeZeroOrOne) {
  Bytes b = read_bytes(kDir / kBase);
  b[23] = 2;
  auto r = parse_image(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "hash_appended is 2 at offset 23 (expected 0 or 1)");
}

TEST(FirmwareImage, WithoutAppendedHashTheTrailingBytesAreReported) {
  Bytes b = read_bytes(kDir / kBase);
  b[23] = 0;
  auto info = parse_image(b);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_FALSE(info->sha256_valid().has_value());
  EXPECT_EQ(info->trailing_bytes, 32u);
  const auto j = to_json(*info);
  EXPECT_TRUE(j["sha256_valid"].is_null());
  EXPECT_EQ(j["hash_appended"], false);
  EXPECT_TRUE(validate_for_upload(*info));
}

TEST(FirmwareImage, SegmentCountLimits) {
  Bytes b = read_bytes(kDir / kBase);
  b[1] = 17;
  auto r = parse_image(b);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "segment count 17 out of range (at most 16)");

  b[1] = 0;  // no segments: readable, but there is no application description
  auto info = parse_image(b);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->checksum_offset, 31u);
  EXPECT_FALSE(info->app.has_value());
  EXPECT_TRUE(to_json(*info)["app"].is_null());
  auto status = validate_for_upload(*info);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("no application description"), std::string::npos);
}

TEST(FirmwareImage, ShortAndEmptyInputs) {
  EXPECT_EQ(parse_image({}).error().message,
            "truncated at offset 0 (empty file; an image starts with a 24-byte header)");
  const Bytes one{0xE9};
  EXPECT_EQ(parse_image(one).error().message,
            "truncated at offset 1 (the image header needs 24 bytes)");
  const Bytes text{'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(parse_image(text).error().message, "bad magic 0x68 (expected 0xE9)");
}

TEST(FirmwareImage, UploadNeedsAnApplicationDescriptionWithAVersion) {
  const Bytes base = read_bytes(kDir / kBase);
  {
    Bytes b = base;
    b[0x30] = 0;  // version[0]
    reseal(b);
    auto info = parse_image(b);
    ASSERT_TRUE(info);
    EXPECT_TRUE(check_integrity(*info));
    auto status = validate_for_upload(*info);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().message, "the application description has an empty version");
  }
  {
    Bytes b = base;
    b[0x20] ^= 0xFF;  // magic
    reseal(b);
    auto info = parse_image(b);
    ASSERT_TRUE(info);
    EXPECT_FALSE(to_json(*info)["app"]["magic_ok"].get<bool>());
    auto status = validate_for_upload(*info);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().message,
              "no application description: magic at offset 0x20 is 0xabcd54cd (expected "
              "0xabcd5432)");
  }
}

TEST(FirmwareImage, StringsAreReducedToPrintableAscii) {
  Bytes b = read_bytes(kDir / kBase);
  const std::string hostile = "\x1b[31mred\xff";
  std::copy(hostile.begin(), hostile.end(), b.begin() + 0x50);  // project_name
  b[0x50 + hostile.size()] = 0;
  auto info = parse_image(b);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->app->project_name, "?[31mred?");
  EXPECT_NO_THROW(to_json(*info).dump());
}

TEST(FirmwareImage, UnknownChipAndFlashValuesAreNamedAsUnknown) {
  Bytes b = read_bytes(kDir / kBase);
  b[12] = 99;
  b[2] = 7;
  b[3] = 0x9F;
  auto info = parse_image(b);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->chip, "unknown (chip id 99)");
  EXPECT_EQ(info->flash_mode, "unknown (0x7)");
  EXPECT_EQ(info->flash_size, "unknown (0x9)");
  EXPECT_EQ(info->flash_freq, "unknown (0xf)");
  std::ostringstream out;
  EXPECT_NO_THROW(write_text(out, *info));
  EXPECT_NE(out.str().find("Chip ID: 99 (Unknown ID)"), std::string::npos);
}

TEST(FirmwareChips, FrequencyNamesDependOnTheChip) {
  EXPECT_EQ(flash_freq_name(0, 0xF), "80m");
  EXPECT_EQ(flash_freq_name(0, 0x0), "40m");
  EXPECT_EQ(flash_freq_name(12, 0xF), "60m");
  EXPECT_EQ(flash_freq_name(16, 0xF), "48m");
  EXPECT_EQ(flash_freq_name(13, 0x0), "80m");
  EXPECT_FALSE(flash_freq_name(13, 0xF).has_value());
  EXPECT_FALSE(flash_freq_name(0, 0x5).has_value());
  EXPECT_EQ(chip_name(20), "ESP32-C61");
  EXPECT_FALSE(chip_name(1).has_value());
}

TEST(FirmwareImage, MissingFileIsNotFound) {
  auto r = read_image((kDir / "no-such-image.bin").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::not_found);
}

}  // namespace
}  // namespace iotfleet::firmware
