#include "firmware/chips.hpp"

#include <array>

namespace iotfleet::firmware {
namespace {

// Flash frequency names by low nibble (index 0x0, 0x1, 0x2, then 0xF), from esptool v4.12.0's
// per-chip FLASH_FREQUENCY tables (esptool/targets/*.py). An empty name means "not defined".
struct FreqTable {
  std::string_view n0, n1, n2, nf;
};
constexpr FreqTable kEsp32Freq{"40m", "26m", "20m", "80m"};  // ESP32, S2, S3, C3, P4
constexpr FreqTable kC2Freq{"30m", "20m", "15m", "60m"};
// ESP32-C6's ROM needs nibble 0 for 80 MHz; esptool maps 0 to "80m" and leaves 0xF undefined.
constexpr FreqTable kC6Freq{"80m", "", "20m", ""};
constexpr FreqTable kC5Freq{"40m", "", "20m", "80m"};     // C5, C5(beta3), C61
constexpr FreqTable kH2Freq{"24m", "16m", "12m", "48m"};  // H2, H2 betas, H21, H4

struct Chip {
  std::uint16_t id;
  std::string_view name;
  const FreqTable* freq;
};

// clang-format off
constexpr std::array kChips{
    Chip{0, "ESP32", &kEsp32Freq},
    Chip{2, "ESP32-S2", &kEsp32Freq},
    Chip{4, "ESP32-S3(beta2)", &kEsp32Freq},
    Chip{5, "ESP32-C3", &kEsp32Freq},
    Chip{7, "ESP32-C6(beta)", &kEsp32Freq},
    Chip{9, "ESP32-S3", &kEsp32Freq},
    Chip{10, "ESP32-H2(beta1)", &kH2Freq},
    Chip{12, "ESP32-C2", &kC2Freq},
    Chip{13, "ESP32-C6", &kC6Freq},
    Chip{14, "ESP32-H2(beta2)", &kH2Freq},
    Chip{16, "ESP32-H2", &kH2Freq},
    Chip{17, "ESP32-C5(beta3)", &kC5Freq},
    Chip{18, "ESP32-P4", &kEsp32Freq},
    Chip{20, "ESP32-C61", &kC5Freq},
    Chip{23, "ESP32-C5", &kC5Freq},
    Chip{25, "ESP32-H21", &kH2Freq},
    Chip{28, "ESP32-H4", &kH2Freq},
};
// clang-format on

const Chip* find_chip(std::uint16_t chip_id) {
  for (const Chip& c : kChips)
    if (c.id == chip_id) return &c;
  return nullptr;
}

std::optional<std::string_view> non_empty(std::string_view s) {
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace

std::optional<std::string_view> chip_name(std::uint16_t chip_id) {
  const Chip* c = find_chip(chip_id);
  if (c == nullptr) return std::nullopt;
  return c->name;
}

std::optional<std::string_view> flash_mode_name(std::uint8_t mode) {
  static constexpr std::array<std::string_view, 4> kNames{"QIO", "QOUT", "DIO", "DOUT"};
  if (mode >= kNames.size()) return std::nullopt;
  return kNames[mode];
}

std::optional<std::string_view> flash_size_name(std::uint8_t size_nibble) {
  static constexpr std::array<std::string_view, 8> kNames{"1MB",  "2MB",  "4MB",  "8MB",
                                                          "16MB", "32MB", "64MB", "128MB"};
  if (size_nibble >= kNames.size()) return std::nullopt;
  return kNames[size_nibble];
}

std::optional<std::string_view> flash_freq_name(std::uint16_t chip_id, std::uint8_t freq_nibble) {
  const Chip* c = find_chip(chip_id);
  if (c == nullptr) return std::nullopt;
  switch (freq_nibble) {
    case 0x0:
      return non_empty(c->freq->n0);
    case 0x1:
      return non_empty(c->freq->n1);
    case 0x2:
      return non_empty(c->freq->n2);
    case 0xF:
      return non_empty(c->freq->nf);
    default:
      return std::nullopt;
  }
}

}  // namespace iotfleet::firmware
