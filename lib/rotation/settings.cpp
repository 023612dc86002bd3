#include "rotation/settings.hpp"

#include <charconv>

namespace iotfleet::rotation {
namespace {

core::Result<long long> whole_number(const core::Config& config, const core::Setting& setting,
                                     const std::optional<std::string>& flag, long long min,
                                     long long max) {
  const auto text = config.get(setting, flag).value_or(std::string(setting.fallback));
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return core::Error::usage("invalid " + std::string(setting.env) + " / " +
                              std::string(setting.flag) + " '" + text + "': expected a whole number from " +
                              std::to_string(min) + " to " + std::to_string(max));
  return value;
}

}  // namespace

core::Result<CycleSettings> load_cycle_settings(const core::Config& config, const CycleFlags& flags) {
  return core::capture([&] {
    CycleSettings s{cron::load_rotation_schedule(config, flags.cron, flags.tz).take()};
    s.timeout = std::chrono::seconds(whole_number(config, kTimeout, flags.timeout, 10, 86400).take());
    s.max_in_flight = static_cast<int>(whole_number(config, kMaxInFlight, flags.max_in_flight, 1, 10000).take());
    s.backoff_base = std::chrono::seconds(
        whole_number(config, kBackoffBase, flags.backoff_base, 1, 30LL * 86400).take());
    s.backoff_cap = std::chrono::seconds(
        whole_number(config, kBackoffCap, flags.backoff_cap, s.backoff_base.count(), 365LL * 86400).take());
    s.cert_days = static_cast<int>(whole_number(config, kCertDays, flags.cert_days, 1, 3650).take());
    return s;
  });
}

}  // namespace iotfleet::rotation
