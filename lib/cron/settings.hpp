#pragma once
// The rotation schedule's settings (specs/rotation.md "One cycle"): the cron expression and the
// time zone it is read in, flag > environment > default (core::Config). iot-rotate's `next`
// reads them here, and so does the rotation cycle.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "cron/schedule.hpp"
#include "cron/time_zone.hpp"

namespace iotfleet::cron {

/// Default: the first Saturday of each month at 08:00.
inline constexpr core::Setting kRotationCron{"--cron", "ROTATION_CRON", "0 8 * * 6#1"};
inline constexpr core::Setting kRotationTz{"--tz", "ROTATION_TZ", "UTC"};

struct RotationSchedule {
  Schedule schedule;
  TimeZone zone;
};

/// Reads and checks both settings. An invalid expression or an unknown zone is a usage error;
/// when the value came from the environment the message starts with the variable's name.
core::Result<RotationSchedule> load_rotation_schedule(const core::Config& config,
                                                      const std::optional<std::string>& cron_flag,
                                                      const std::optional<std::string>& tz_flag);

/// The next `count` fire times after `from`. A schedule that never fires (such as "0 0 30 2 *")
/// is a usage error.
core::Result<std::vector<sys_seconds>> upcoming(const RotationSchedule& rotation, sys_seconds from,
                                                std::size_t count);

}  // namespace iotfleet::cron
