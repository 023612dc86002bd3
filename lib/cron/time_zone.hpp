#pragma once
// IANA time zones from the system tz database (/usr/share/zoneinfo, Debian's tzdata), for reading
// cron schedules in local time. Wall times are read the way Python's zoneinfo reads them with
// fold=0, which is what croniter relies on: a wall time skipped by a forward jump uses the offset
// from before the jump (02:30 on a 02:00→03:00 night is 03:30 new time), and a repeated wall time
// names its first occurrence.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace iotfleet::cron {

using std::chrono::local_seconds;
using std::chrono::sys_seconds;

class TimeZone {
 public:
  /// The zone named "UTC" or an IANA name such as "Europe/Copenhagen" (case as in the database).
  /// An unknown or malformed name is a usage error naming it.
  static core::Result<TimeZone> locate(std::string_view name);
  static TimeZone utc();

  const std::string& name() const;
  /// The wall-clock time in this zone at instant t.
  local_seconds to_local(sys_seconds t) const;
  /// The instant a wall-clock time names (skipped: offset before the jump; repeated: first one).
  sys_seconds to_sys(local_seconds wall) const;

  struct Impl;

 private:
  explicit TimeZone(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

/// An instant written by a person: "2026-12-05T08:00:00Z", "2026-12-05T09:00+01:00",
/// "2026-12-05 08:00" or "2026-12-05" (the last two without an offset are wall time in `zone`).
/// Fractions of a second are dropped. Anything else is a usage error naming the text.
core::Result<sys_seconds> parse_time(std::string_view text, const TimeZone& zone);

}  // namespace iotfleet::cron
