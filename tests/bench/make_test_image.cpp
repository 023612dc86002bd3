// Writes a valid ESP32 application image of a given size and version, for benchmarks:
//   make_test_image OUT VERSION SIZE_BYTES
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "test_support/esp_image.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: make_test_image OUT VERSION SIZE_BYTES\n";
    return 2;
  }
  iotfleet::test_support::EspImageSpec spec;
  spec.version = argv[2];
  spec.payload_size = std::strtoull(argv[3], nullptr, 10);
  std::ofstream(argv[1], std::ios::binary) << iotfleet::test_support::make_esp_image(spec);
  return 0;
}
