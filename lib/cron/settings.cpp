#include "cron/settings.hpp"

#include "core/clock.hpp"

namespace iotfleet::cron {

namespace {

// Points a usage error at the environment variable the bad value came from, if it did.
core::Error from_setting(core::Error e, const core::Config& config, const core::Setting& s,
                         const std::optional<std::string>& flag) {
  if (!flag && config.get(core::Setting{"", s.env, ""}))
    e.message = std::string(s.env) + ": " + e.message;
  return e;
}

}  // namespace

core::Result<RotationSchedule> load_rotation_schedule(const core::Config& config,
                                                      const std::optional<std::string>& cron_flag,
                                                      const std::optional<std::string>& tz_flag) {
  return core::capture([&]() -> core::Result<RotationSchedule> {
    auto schedule = Schedule::parse(config.require(kRotationCron, cron_flag).take());
    if (!schedule) return from_setting(schedule.error(), config, kRotationCron, cron_flag);
    auto zone = TimeZone::locate(config.require(kRotationTz, tz_flag).take());
    if (!zone) return from_setting(zone.error(), config, kRotationTz, tz_flag);
    return RotationSchedule{std::move(schedule).take(), std::move(zone).take()};
  });
}

core::Result<std::vector<sys_seconds>> upcoming(const RotationSchedule& rotation, sys_seconds from,
                                                std::size_t count) {
  auto times = next_times(rotation.schedule, from, count, rotation.zone);
  if (times.empty() && count > 0)
    return core::Error::usage("cron expression '" + rotation.schedule.expression() +
                                  "' never fires: no time matches it in the 50 years after " +
                                  core::format_iso_utc(from),
                              "check day-of-month against month (there is no 30 February)");
  return times;
}

}  // namespace iotfleet::cron
