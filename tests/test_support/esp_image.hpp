#pragma once
// Builds valid ESP32 application images for tests that need many versions of one model (the
// reference fixtures each have one fixed version). Layout: shared/specs/formats.md.

#include <cstdint>
#include <string>

namespace iotfleet::test_support {

struct EspImageSpec {
  std::uint16_t chip_id = 5;  // ESP32-C3
  std::string version = "1.0.0";
  std::string project_name = "test_app";
  std::string idf_version = "v5.2.1";
  std::size_t payload_size = 4096;  // bytes of code after the app description
  std::uint8_t payload_seed = 1;
};

/// A complete image: header, extended header (hash appended), one segment holding the
/// application description and the payload, the checksum and the SHA-256.
std::string make_esp_image(const EspImageSpec& spec);

}  // namespace iotfleet::test_support
