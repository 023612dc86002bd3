// libFuzzer target for the ESP32 image parser: any input must give a result or an error, never a
// crash, an out-of-bounds read or an exception; built and run by scripts/fuzz.sh.

#include <cstddef>
#include <cstdint>
#include <sstream>

#include "firmware/image.hpp"
#include "firmware/image_report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace iotfleet::firmware;
  auto info = parse_image({data, size});
  if (!info) return 0;
  // Everything shown from a parsed image must be printable without throwing (JSON needs UTF-8).
  (void)to_json(*info).dump();
  std::ostringstream text;
  write_text(text, *info);
  (void)check_integrity(*info);
  (void)validate_for_upload(*info);
  return 0;
}
