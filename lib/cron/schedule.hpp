#pragma once
// Cron schedules as operators write them (ROTATION_CRON), read in an IANA time zone. The rules
// are those of Python's croniter 1.3.5, the reference system's library; schedule.cpp explains
// the few places where this library deliberately differs from it.
//
//   field          values                     also
//   minute         0-59                       *  a,b  a-b  */n  a-b/n  a/n (= a-max/n)
//   hour           0-23
//   day-of-month   1-31                       L (last day), 15W (nearest weekday), LW
//   month          1-12, JAN-DEC
//   day-of-week    0-7 (0 and 7 are Sunday)   SUN-SAT, 6#1 (first Saturday), 5L or L5 (last Friday)
//   macros         @yearly @annually @monthly @weekly @daily @midnight @hourly
//
// When both day fields are restricted a day matches either of them (croniter's day_or), except
// that a day-of-week with '#' or 'L' then decides alone (croniter's behaviour).

#include <array>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "cron/time_zone.hpp"

namespace iotfleet::cron {

using std::chrono::local_seconds;
using std::chrono::sys_seconds;

class Schedule {
 public:
  /// Parses five fields or a macro; names and L/W are case-insensitive. A malformed expression
  /// is a usage error that quotes it and names the field, e.g.
  /// "cron expression '0 25 * * *': hour field '25' is out of range 0-23".
  static core::Result<Schedule> parse(std::string_view expression);

  /// The text as given.
  const std::string& expression() const { return expression_; }

  /// The first fire time strictly after t, or nullopt when the schedule does not fire within 50
  /// years (an expression that can never match, such as "0 0 30 2 *"). Wall times skipped by a
  /// daylight-saving jump fire once, moved on by the jump; repeated wall times fire once, at
  /// their first occurrence.
  std::optional<sys_seconds> next_after(sys_seconds t, const TimeZone& zone) const;

  /// The latest fire time at or before t (so next_after(result) > t), or nullopt when there is
  /// none in the 50 years before t.
  std::optional<sys_seconds> latest_at_or_before(sys_seconds t, const TimeZone& zone) const;

  /// Whether the wall-clock minute containing `wall` matches the expression.
  bool matches(local_seconds wall) const;

  /// The parsed form. Day-of-month and day-of-week keep croniter's notion of "unrestricted"
  /// (a '*' item, or every value listed), which decides whether the OR rule applies.
  struct Fields {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<13> months;             // 1-12
    std::bitset<32> days;               // 1-31
    bool last_day = false;              // L
    std::bitset<32> nearest_weekday;    // 15W
    bool last_weekday = false;          // LW
    bool days_any = false;              // day-of-month unrestricted
    std::bitset<7> weekdays;            // 0 = Sunday
    std::array<std::uint8_t, 7> nth{};  // per weekday: bit n (1-5) for "#n", bit 0 for last
    bool weekdays_any = false;          // day-of-week unrestricted
  };
  const Fields& fields() const { return f_; }

 private:
  Schedule(std::string expression, Fields f) : expression_(std::move(expression)), f_(f) {}
  bool day_matches(std::chrono::year_month_day date) const;
  std::optional<std::chrono::local_seconds> next_wall(std::chrono::local_seconds from,
                                                      std::chrono::year limit) const;
  std::optional<std::chrono::local_seconds> previous_wall(std::chrono::local_seconds at_or_before,
                                                          std::chrono::year limit) const;

  std::string expression_;
  Fields f_;
};

/// The next `count` fire times after `from`, in order; fewer only if the schedule stops firing.
std::vector<sys_seconds> next_times(const Schedule& schedule, sys_seconds from, std::size_t count,
                                    const TimeZone& zone);

}  // namespace iotfleet::cron
