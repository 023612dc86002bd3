#include "devsim/options.hpp"

#include <charconv>

namespace iotfleet::devsim {

core::Result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                       std::string_view option) {
  const auto bad = [&] {
    return core::Error::usage(std::string(option) + " '" + std::string(text) +
                              "': expected a duration such as 500ms, 30s, 2m or 1h");
  };
  double value = 0;
  const auto* begin = text.data();
  const auto* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || stop == begin || value < 0) return bad();
  const std::string_view unit(stop, static_cast<std::size_t>(end - stop));
  double ms = 0;
  if (unit.empty() || unit == "s")
    ms = value * 1000;
  else if (unit == "ms")
    ms = value;
  else if (unit == "m")
    ms = value * 60'000;
  else if (unit == "h")
    ms = value * 3'600'000;
  else
    return bad();
  if (ms > 1e12) return bad();
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

core::Status validate(const FleetOptions& o) {
  std::error_code ec;
  if (o.packages.empty()) return core::Error::usage("--packages is required");
  if (!std::filesystem::is_directory(o.packages, ec))
    return core::Error::usage("--packages '" + o.packages.string() + "' is not a folder",
                              "give the folder `iot-provision package KEY -o DIR/KEY.json` wrote to");
  if (o.state.empty()) return core::Error::usage("--state must name a folder");
  if (o.fail_rate < 0.0 || o.fail_rate > 1.0)
    return core::Error::usage("--fail-rate must be a fraction between 0 and 1 (0.05: 5%)");
  if (o.threads < 1 || o.threads > 256)
    return core::Error::usage("--threads " + std::to_string(o.threads) + " is not between 1 and 256");
  if (o.duration.count() <= 0) return core::Error::usage("--duration must be longer than 0");
  if (o.tunables.config_poll_ms == 0)
    return core::Error::usage("--config-interval must be longer than 0");
  if (o.tunables.firmware_check_ms == 0)
    return core::Error::usage("--firmware-interval must be longer than 0");
  if (o.http_timeout.count() <= 0) return core::Error::usage("--http-timeout must be longer than 0");
  return core::ok_status();
}

}  // namespace iotfleet::devsim
