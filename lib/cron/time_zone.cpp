#include "cron/time_zone.hpp"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <cctype>
#include <charconv>

namespace iotfleet::cron {

struct TimeZone::Impl {
  std::string name;
  cctz::time_zone zone;
};

namespace {

using namespace std::chrono;

// IANA names are ASCII words joined by '/': this keeps paths ("/etc/passwd", "../x") and
// cctz's own extensions ("Fixed/UTC+01:00", "localtime") out.
bool plausible_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') return false;
  char prev = '/';
  for (char c : name) {
    const bool word =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+';
    if (!word && c != '/') return false;
    if (c == '/' && prev == '/') return false;
    prev = c;
  }
  return name != "localtime";
}

cctz::civil_second to_civil(local_seconds wall) {
  const local_days day = floor<days>(wall);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> tod{wall - day};
  return cctz::civil_second(static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                            static_cast<unsigned>(ymd.day()), tod.hours().count(),
                            tod.minutes().count(), tod.seconds().count());
}

local_seconds from_civil(const cctz::civil_second& cs) {
  const local_days day{year{static_cast<int>(cs.year())} / cs.month() / cs.day()};
  return day + hours{cs.hour()} + minutes{cs.minute()} + seconds{cs.second()};
}

}  // namespace

core::Result<TimeZone> TimeZone::locate(std::string_view name) {
  const std::string text(name);
  auto impl = std::make_shared<Impl>();
  impl->name = text;
  if (!plausible_zone_name(name) || !cctz::load_time_zone(text, &impl->zone))
    return core::Error::usage(
        "unknown time zone '" + text + "'",
        "use an IANA name such as Europe/Copenhagen or America/New_York, or UTC "
        "(the names are the files under /usr/share/zoneinfo)");
  return TimeZone(std::move(impl));
}

TimeZone TimeZone::utc() {
  static const auto impl = std::make_shared<const Impl>(Impl{"UTC", cctz::utc_time_zone()});
  return TimeZone(impl);
}

const std::string& TimeZone::name() const { return impl_->name; }

local_seconds TimeZone::to_local(sys_seconds t) const {
  return from_civil(impl_->zone.lookup(t).cs);
}

sys_seconds TimeZone::to_sys(local_seconds wall) const {
  // pre: the instant read with the offset in force before any transition at this wall time, i.e.
  // Python's fold=0 (the first of a repeated time; a skipped time moved on by the jump).
  return impl_->zone.lookup(to_civil(wall)).pre;
}

namespace {

// A small cursor over the text of a timestamp.
struct Scanner {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i == s.size(); }
  bool eat(char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  }
  bool digits(std::size_t n, int& out) {
    if (i + n > s.size()) return false;
    const auto r = std::from_chars(s.data() + i, s.data() + i + n, out);
    if (r.ec != std::errc() || r.ptr != s.data() + i + n) return false;
    i += n;
    return true;
  }
};

}  // namespace

core::Result<sys_seconds> parse_time(std::string_view text, const TimeZone& zone) {
  const auto bad = [&] {
    return core::Error::usage(
        "invalid time '" + std::string(text) + "'",
        "write an ISO 8601 time such as 2026-12-05T08:00:00Z, 2026-12-05T09:00:00+01:00 "
        "or 2026-12-05 (without an offset it is wall time in the schedule's zone)");
  };
  Scanner in{text};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!in.digits(4, y) || !in.eat('-') || !in.digits(2, mo) || !in.eat('-') || !in.digits(2, d))
    return bad();
  const year_month_day date{year{y} / mo / d};
  if (!date.ok() || y < 1900) return bad();
  if (!in.done()) {
    if (!in.eat('T') && !in.eat('t') && !in.eat(' ')) return bad();
    if (!in.digits(2, h) || !in.eat(':') || !in.digits(2, mi)) return bad();
    if (in.eat(':')) {
      if (!in.digits(2, sec)) return bad();
      if (in.eat('.') || in.eat(',')) {  // fractions are dropped, as croniter floors them
        const std::size_t start = in.i;
        while (!in.done() && std::isdigit(static_cast<unsigned char>(in.s[in.i]))) ++in.i;
        if (in.i == start) return bad();
      }
    }
    if (h > 23 || mi > 59 || sec > 59) return bad();
  }
  const local_seconds wall = local_days{date} + hours{h} + minutes{mi} + seconds{sec};
  if (in.done()) return zone.to_sys(wall);
  if (in.eat('Z') || in.eat('z')) {
    if (!in.done()) return bad();
    return sys_seconds{wall.time_since_epoch()};
  }
  const int sign = in.eat('+') ? 1 : in.eat('-') ? -1 : 0;
  int oh = 0, om = 0;
  if (sign == 0 || !in.digits(2, oh)) return bad();
  if (!in.done()) {
    in.eat(':');
    if (!in.digits(2, om) || !in.done()) return bad();
  }
  if (oh > 23 || om > 59) return bad();
  return sys_seconds{wall.time_since_epoch()} - sign * (hours{oh} + minutes{om});
}

}  // namespace iotfleet::cron
