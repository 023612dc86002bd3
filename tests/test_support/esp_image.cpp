#include "test_support/esp_image.hpp"

#include <cstring>

#include "core/digest.hpp"
#include "core/encoding.hpp"

namespace iotfleet::test_support {
namespace {

void put_u16(std::string& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<char>(v & 0xFF);
  b[at + 1] = static_cast<char>(v >> 8);
}

void put_u32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

void put_text(std::string& b, std::size_t at, const std::string& text, std::size_t field) {
  std::memcpy(b.data() + at, text.data(), std::min(text.size(), field - 1));
}

}  // namespace

std::string make_esp_image(const EspImageSpec& spec) {
  std::size_t data_len = 256 + spec.payload_size;
  data_len = (data_len + 3) / 4 * 4;
  std::string img(24, '\0');
  img[0] = static_cast<char>(0xE9);
  img[1] = 1;                       // one segment
  img[2] = 2;                       // DIO
  img[3] = 0x10;                    // 2MB, frequency code 0
  put_u32(img, 4, 0x42000020);      // entry point
  img[8] = static_cast<char>(0xEE);  // WP pin disabled
  put_u16(img, 12, spec.chip_id);
  put_u16(img, 15, 0);              // min_rev_full
  put_u16(img, 17, 199);            // max_rev_full
  img[23] = 1;                      // hash appended

  std::string seg(8 + data_len, '\0');
  put_u32(seg, 0, 0x3C000020);
  put_u32(seg, 4, static_cast<std::uint32_t>(data_len));
  const std::size_t d = 8;
  put_u32(seg, d + 0, 0xABCD5432);
  put_text(seg, d + 0x10, spec.version, 32);
  put_text(seg, d + 0x30, spec.project_name, 32);
  put_text(seg, d + 0x50, "12:00:00", 16);
  put_text(seg, d + 0x60, "Nov 22 2026", 16);
  put_text(seg, d + 0x70, spec.idf_version, 32);
  for (std::size_t i = 256; i < data_len; ++i)
    seg[d + i] = static_cast<char>((i * 31 + spec.payload_seed) & 0xFF);
  img += seg;

  std::uint8_t checksum = 0xEF;
  for (std::size_t i = 0; i < data_len; ++i) checksum ^= static_cast<std::uint8_t>(seg[d + i]);
  const std::size_t end = img.size();
  img.resize(end + 15 - end % 16 + 1, '\0');
  img.back() = static_cast<char>(checksum);
  const auto digest = core::sha256(core::as_bytes(img));
  img.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return img;
}

}  // namespace iotfleet::test_support
