// Why this file looks the way it does
//
// The rotation CronJob queues the fleet on the ticks of ROTATION_CRON in ROTATION_TZ
// (../shared/specs/rotation.md, "One cycle"), and the reference system computed those ticks with
// Python's croniter (Debian's python3-croniter 1.3.5). An operator's expression must fire at the
// same instants here, so the rules are croniter's, checked by tests/unit/cron/test_differential.cpp
// against croniter itself over thousands of generated expressions, start times and zones.
//
// croniter works on wall-clock time: from the wall time one minute after the start (seconds
// dropped) it moves field by field to the next matching wall time, for at most 50 years, and
// turns that into an instant with the offset Python gives a wall time with fold=0. We do the
// same search directly (day by day, then the first matching minute of a matching day) and
// convert with TimeZone::to_sys, which has the same fold=0 meaning. What follows:
// - a wall time skipped by a spring-forward jump fires once, moved on by the jump (30 2 * * * on
//   the night 02:00 becomes 03:00 fires at 03:30); later skipped matches of that night do not fire;
// - a repeated wall time fires once, at its first occurrence; the second pass fires nothing.
//
// croniter quirks we keep, because they decide when an operator's expression fires:
// - the OR rule applies only when neither day field is unrestricted, and a field counts as
//   unrestricted when it has a '*' item or lists every value: "1-31" and even "2-31,L"
//   (31 items) count as '*' in day-of-month, "0-6" and "1-7" in day-of-week;
// - with the OR rule, a day-of-week using '#' or 'L' decides alone: "0 8 1 * 6#1" fires only on
//   first Saturdays (croniter ANDs day-of-month with it, then ORs that with the weekday alone);
// - "a/n" runs to the field's top, which is 7 in day-of-week: "1/2" is Mon, Wed, Fri and Sunday.
//
// croniter bugs we do not copy (each is excluded, narrowly and counted, in the differential test):
// 1. get_next's daylight-saving "lag" correction, written for pytz zones, moves results by the
//    DST offset with zoneinfo/dateutil zones: "0 8 * * *" in Europe/Copenhagen fires at 07:00 and
//    08:00 on the spring-forward day and at 09:00 instead of 08:00 on the fall-back day.
// 2. Started in the second pass of a repeated hour, it returns times before the start (its wall
//    arithmetic loses fold); "* * * * *" then replays that hour forever. We skip what already
//    fired in the first pass.
// 3. A day-of-month list holding a day the month lacks jumps over the next month's first days:
//    "0 0 1,30 * *" from 27 February skips 1 March.
// 4. With both day fields restricted, croniter raises "failed to find next date" when one of them
//    can never match ("0 0 30 2 mon", "0 0 31 * 6#1") instead of using the other. We use the other.
// Beyond croniter 1.3.5, which rejects them: W and LW in day-of-month, and 5L as the spelling of
// its L5. Refused although croniter accepts them: a sixth (seconds) field, H and R (hashed and
// random values), and text after "#n" (croniter reads "6#1junk" as "6#1").

#include "cron/schedule.hpp"

namespace iotfleet::cron {

namespace {

using namespace std::chrono;

constexpr int kSearchYears = 50;  // croniter's max_years_between_matches

unsigned last_day_of(const year_month_day& date) {
  return static_cast<unsigned>((date.year() / date.month() / last).day());
}

unsigned weekday_of(const year_month_day& date, unsigned day) {
  return weekday{sys_days{date.year() / date.month() / day}}.c_encoding();
}

// Quartz's W: the weekday nearest to `day` within its month (a Saturday 1st gives Monday 3rd).
unsigned nearest_weekday(const year_month_day& date, unsigned day, unsigned last_day) {
  const unsigned wd = weekday_of(date, day);
  if (wd == 6) return day > 1 ? day - 1 : day + 2;
  if (wd == 0) return day < last_day ? day + 1 : day - 2;
  return day;
}

std::optional<int> first_minute_at_or_after(const Schedule::Fields& f, int minute_of_day) {
  for (int h = minute_of_day / 60; h < 24; ++h) {
    if (!f.hours[h]) continue;
    for (int m = h == minute_of_day / 60 ? minute_of_day % 60 : 0; m < 60; ++m)
      if (f.minutes[m]) return h * 60 + m;
  }
  return std::nullopt;
}

std::optional<int> last_minute_at_or_before(const Schedule::Fields& f, int minute_of_day) {
  for (int h = minute_of_day / 60; h >= 0; --h) {
    if (!f.hours[h]) continue;
    for (int m = h == minute_of_day / 60 ? minute_of_day % 60 : 59; m >= 0; --m)
      if (f.minutes[m]) return h * 60 + m;
  }
  return std::nullopt;
}

}  // namespace

bool Schedule::day_matches(year_month_day date) const {
  const unsigned day = static_cast<unsigned>(date.day());
  const unsigned last_day = last_day_of(date);
  const unsigned wd = weekday{sys_days{date}}.c_encoding();

  const auto in_days = [&] {
    if (f_.days[day] || (f_.last_day && day == last_day)) return true;
    if (f_.last_weekday && day == nearest_weekday(date, last_day, last_day)) return true;
    if (f_.nearest_weekday.any())
      for (unsigned n = 1; n <= last_day; ++n)
        if (f_.nearest_weekday[n] && nearest_weekday(date, n, last_day) == day) return true;
    return false;
  };
  const bool has_nth = f_.nth != decltype(f_.nth){};
  const auto in_nth = [&] {
    const unsigned mask = f_.nth[wd];
    return (mask & (1u << ((day - 1) / 7 + 1))) != 0 || ((mask & 1u) != 0 && day + 7 > last_day);
  };

  if (!f_.days_any && !f_.weekdays_any) {  // croniter's day_or
    if (has_nth) return in_nth();
    return in_days() || f_.weekdays[wd];
  }
  const bool days_ok = f_.days_any || in_days();
  const bool weekdays_ok = has_nth ? in_nth() : f_.weekdays_any || f_.weekdays[wd];
  return days_ok && weekdays_ok;
}

bool Schedule::matches(local_seconds wall) const {
  const local_days day = floor<days>(wall);
  const year_month_day date{day};
  const auto minute_of_day = duration_cast<minutes>(wall - day).count();
  return f_.months[static_cast<unsigned>(date.month())] && day_matches(date) &&
         f_.hours[minute_of_day / 60] && f_.minutes[minute_of_day % 60];
}

std::optional<local_seconds> Schedule::next_wall(local_seconds from, year limit) const {
  local_days day = floor<days>(from);
  int minute_of_day = static_cast<int>(duration_cast<minutes>(from - day).count());
  for (;;) {
    const year_month_day date{day};
    if (date.year() > limit) return std::nullopt;
    if (!f_.months[static_cast<unsigned>(date.month())]) {
      day = local_days{(date.year() / date.month() + months{1}) / 1};
      minute_of_day = 0;
      continue;
    }
    if (day_matches(date))
      if (auto m = first_minute_at_or_after(f_, minute_of_day)) return day + minutes{*m};
    day += days{1};
    minute_of_day = 0;
  }
}

std::optional<local_seconds> Schedule::previous_wall(local_seconds at_or_before, year limit) const {
  local_days day = floor<days>(at_or_before);
  int minute_of_day = static_cast<int>(duration_cast<minutes>(at_or_before - day).count());
  for (;;) {
    const year_month_day date{day};
    if (date.year() < limit) return std::nullopt;
    if (!f_.months[static_cast<unsigned>(date.month())]) {
      day = local_days{date.year() / date.month() / 1} - days{1};
      minute_of_day = 24 * 60 - 1;
      continue;
    }
    if (day_matches(date))
      if (auto m = last_minute_at_or_before(f_, minute_of_day)) return day + minutes{*m};
    day -= days{1};
    minute_of_day = 24 * 60 - 1;
  }
}

std::optional<sys_seconds> Schedule::next_after(sys_seconds t, const TimeZone& zone) const {
  local_seconds from = floor<minutes>(zone.to_local(t + minutes{1}));
  const year limit = year_month_day{floor<days>(from)}.year() + years{kSearchYears};
  for (;;) {
    const auto wall = next_wall(from, limit);
    if (!wall) return std::nullopt;
    const sys_seconds at = zone.to_sys(*wall);
    if (at > t) return at;
    from = *wall + minutes{1};  // t is in the second pass of a repeated hour: this one has fired
  }
}

std::optional<sys_seconds> Schedule::latest_at_or_before(sys_seconds t,
                                                         const TimeZone& zone) const {
  local_seconds from = floor<minutes>(zone.to_local(t));
  const year limit = year_month_day{floor<days>(from)}.year() - years{kSearchYears};
  std::optional<sys_seconds> found;
  while (!found) {
    const auto wall = previous_wall(from, limit);
    if (!wall) return std::nullopt;
    const sys_seconds at = zone.to_sys(*wall);
    if (at <= t) found = at;
    from = *wall - minutes{1};  // a skipped wall time that the jump moved past t
  }
  // After a fall-back, wall times later than t's may still have fired before t.
  while (const auto next = next_after(*found, zone)) {
    if (*next > t) break;
    found = next;
  }
  return found;
}

std::vector<sys_seconds> next_times(const Schedule& schedule, sys_seconds from, std::size_t count,
                                    const TimeZone& zone) {
  std::vector<sys_seconds> out;
  for (auto t = from; out.size() < count;) {
    const auto next = schedule.next_after(t, zone);
    if (!next) break;
    out.push_back(*next);
    t = *next;
  }
  return out;
}

}  // namespace iotfleet::cron
