#pragma once
// What iot-devsim is told to simulate: which packages, how many devices, for how long, which
// fraction drops offline mid-rotation, and the device core's intervals (Tunables).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "iot_device/device.hpp"

namespace iotfleet::devsim {

struct FleetOptions {
  std::filesystem::path packages;  // one JSON provisioning package per device (*.json)
  std::filesystem::path state;     // per-device storage: <state>/<device_key>/<ns>.json
  std::size_t devices = 0;         // 0: one per package
  std::chrono::milliseconds duration{60'000};
  /// Fraction of the devices that drop offline right after /iot/provisioning gave them their
  /// new credential (before they prove it).
  double fail_rate = 0.0;
  /// How long a dropped device stays offline before it boots again; nullopt: until the end.
  std::optional<std::chrono::milliseconds> offline_for;
  unsigned threads = 4;
  std::uint32_t seed = 1;
  /// The factory image's version, stored as the running version at a device's first start.
  std::string initial_version;
  std::chrono::milliseconds http_timeout{10'000};
  iot_device::Tunables tunables;
};

/// "250ms", "30s", "2m", "1h", or a bare number of seconds. Errors are usage errors naming
/// `option` ("--duration '3x': expected a duration such as 500ms, 30s, 2m").
core::Result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                       std::string_view option);

/// Checks the options together (ranges, the packages folder exists). Usage errors name the flag.
core::Status validate(const FleetOptions& options);

}  // namespace iotfleet::devsim
