#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/clock.hpp"
#include "cron/schedule.hpp"

namespace iotfleet::cron {
namespace {

sys_seconds at(const std::string& iso) { return parse_time(iso, TimeZone::utc()).take(); }

std::vector<std::string> next(const std::string& expression, const std::string& zone,
                              const std::string& from, std::size_t n) {
  std::vector<std::string> out;
  const auto times =
      next_times(Schedule::parse(expression).take(), at(from), n, TimeZone::locate(zone).take());
  for (auto t : times) out.push_back(core::format_iso_utc(t));
  return out;
}
using S = std::vector<std::string>;

TEST(TimeZone, LocatesIanaNamesAndUtc) {
  EXPECT_EQ(TimeZone::locate("UTC")->name(), "UTC");
  EXPECT_EQ(TimeZone::locate("Europe/Copenhagen")->name(), "Europe/Copenhagen");
  EXPECT_EQ(TimeZone::locate("America/Argentina/Buenos_Aires")->name(),
            "America/Argentina/Buenos_Aires");
  EXPECT_EQ(TimeZone::locate("Etc/GMT+5")->name(), "Etc/GMT+5");
}

TEST(TimeZone, UnknownOrMalformedNamesAreUsageErrors) {
  for (const char* name :
       {"Europe/Copenhagn", "europe/copenhagen", "", "/etc/passwd", "../zoneinfo/UTC",
        "Europe//Copenhagen", "Europe", "localtime", "CET-1CEST,M3.5.0,M10.5.0/3"}) {
    const auto zone = TimeZone::locate(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.error().kind, core::ErrorKind::usage);
    EXPECT_EQ(zone.error().message, "unknown time zone '" + std::string(name) + "'");
  }
}

TEST(TimeZone, WallTimesReadAsPythonsFoldZero) {
  const auto cph = TimeZone::locate("Europe/Copenhagen").take();
  using namespace std::chrono;
  const local_days spring{year{2024} / 3 / 31}, autumn{year{2024} / 10 / 27};
  EXPECT_EQ(cph.to_sys(spring + hours{1} + minutes{30}), at("2024-03-31T00:30:00Z"));
  EXPECT_EQ(cph.to_sys(spring + hours{2} + minutes{30}),
            at("2024-03-31T01:30:00Z"));  // skipped: 03:30 CEST
  EXPECT_EQ(cph.to_sys(spring + hours{3}), at("2024-03-31T01:00:00Z"));
  EXPECT_EQ(cph.to_sys(autumn + hours{2} + minutes{30}),
            at("2024-10-27T00:30:00Z"));  // repeated: the first
  EXPECT_EQ(cph.to_local(at("2024-10-27T01:30:00Z")), autumn + hours{2} + minutes{30});
}

TEST(ParseTime, AcceptsTheUsualIsoForms) {
  const auto cph = TimeZone::locate("Europe/Copenhagen").take();
  EXPECT_EQ(parse_time("2026-12-05T08:00:00Z", cph).take(), at("2026-12-05T08:00:00Z"));
  EXPECT_EQ(parse_time("2026-12-05t08:00z", cph).take(), at("2026-12-05T08:00:00Z"));
  EXPECT_EQ(parse_time("2026-12-05T09:00:00+01:00", cph).take(), at("2026-12-05T08:00:00Z"));
  EXPECT_EQ(parse_time("2026-12-05T03:00:00-0500", cph).take(), at("2026-12-05T08:00:00Z"));
  EXPECT_EQ(parse_time("2026-12-05T08:00:00.999Z", cph).take(), at("2026-12-05T08:00:00Z"));
  EXPECT_EQ(parse_time("2026-12-05 09:00", cph).take(),
            at("2026-12-05T08:00:00Z"));  // wall time in the zone
  EXPECT_EQ(parse_time("2026-07-05", cph).take(), at("2026-07-04T22:00:00Z"));
}

TEST(ParseTime, RejectsAnythingElse) {
  for (const char* text :
       {"", "tomorrow", "2026-13-01", "2026-02-30", "2026-12-05T24:00:00Z", "2026-12-05T08",
        "2026-12-05T08:00:00+1", "2026-12-05T08:00:00Zjunk", "1700000000", "26-12-05"}) {
    const auto t = parse_time(text, TimeZone::utc());
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().kind, core::ErrorKind::usage);
    EXPECT_EQ(t.error().message, "invalid time '" + std::string(text) + "'");
  }
}

// Europe/Copenhagen 2024: 31 March 02:00 CET → 03:00 CEST; 27 October 03:00 CEST → 02:00 CET.
TEST(CronDst, SpringForwardSkippedTimeFiresOnceMovedOnByTheJump) {
  // as croniter: 02:30 that night is read with the winter offset, i.e. 03:30 summer time
  EXPECT_EQ(next("30 2 * * *", "Europe/Copenhagen", "2024-03-30T00:00:00Z", 3),
            (S{"2024-03-30T01:30:00Z", "2024-03-31T01:30:00Z", "2024-04-01T00:30:00Z"}));
  // two matches in the skipped hour: only the first fires (03:00 CEST), as in croniter
  EXPECT_EQ(next("0,30 2 * * *", "Europe/Copenhagen", "2024-03-30T12:00:00Z", 2),
            (S{"2024-03-31T01:00:00Z", "2024-04-01T00:00:00Z"}));
  EXPECT_EQ(next("*/20 * * * *", "Europe/Copenhagen", "2024-03-31T00:30:00Z", 3),
            (S{"2024-03-31T00:40:00Z", "2024-03-31T01:00:00Z", "2024-03-31T01:20:00Z"}));
}

TEST(CronDst, DailyJobKeepsItsWallTimeAcrossBothTransitions) {
  // croniter 1.3.5 fires 07:00 and 08:00 on 31 March, and 09:00 on 27 October (its pytz-era
  // "lag" correction); the wall time 08:00 is what the expression says
  EXPECT_EQ(next("0 8 * * *", "Europe/Copenhagen", "2024-03-29T08:00:00Z", 3),
            (S{"2024-03-30T07:00:00Z", "2024-03-31T06:00:00Z", "2024-04-01T06:00:00Z"}));
  EXPECT_EQ(next("0 8 * * *", "Europe/Copenhagen", "2024-10-25T07:00:00Z", 3),
            (S{"2024-10-26T06:00:00Z", "2024-10-27T07:00:00Z", "2024-10-28T07:00:00Z"}));
}

TEST(CronDst, FallBackRepeatedTimeFiresOnceAtItsFirstOccurrence) {
  EXPECT_EQ(next("30 2 * * *", "Europe/Copenhagen", "2024-10-26T12:00:00Z", 2),
            (S{"2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"}));
  EXPECT_EQ(next("*/20 * * * *", "Europe/Copenhagen", "2024-10-26T23:30:00Z", 5),
            (S{"2024-10-26T23:40:00Z", "2024-10-27T00:00:00Z", "2024-10-27T00:20:00Z",
               "2024-10-27T00:40:00Z", "2024-10-27T02:00:00Z"}));
  EXPECT_EQ(next("* * * * *", "Europe/Copenhagen", "2024-10-27T00:58:00Z", 2),
            (S{"2024-10-27T00:59:00Z", "2024-10-27T02:00:00Z"}));
}

TEST(CronDst, StartingInTheSecondPassSkipsWhatFiredInTheFirst) {
  // 01:10Z is 02:10 CET, the second 02:10 of the night; croniter answers 00:11Z, before the start
  EXPECT_EQ(next("* * * * *", "Europe/Copenhagen", "2024-10-27T01:10:00Z", 1),
            (S{"2024-10-27T02:00:00Z"}));
  EXPECT_EQ(next("30 2 * * *", "Europe/Copenhagen", "2024-10-27T01:10:00Z", 1),
            (S{"2024-10-28T01:30:00Z"}));
}

TEST(CronDst, NewYork) {
  // 9 March 2025 02:00 EST → 03:00 EDT; 2 November 2025 02:00 EDT → 01:00 EST
  EXPECT_EQ(next("30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", 2),
            (S{"2025-03-09T07:30:00Z", "2025-03-10T06:30:00Z"}));
  EXPECT_EQ(next("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", 2),
            (S{"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"}));
  EXPECT_EQ(next("0 * * * *", "America/New_York", "2025-11-02T04:30:00Z", 2),
            (S{"2025-11-02T05:00:00Z", "2025-11-02T07:00:00Z"}));
}

TEST(CronDst, HalfHourShiftAndASkippedDay) {
  // Lord Howe moves by 30 minutes: 6 October 2024 02:00 → 02:30 (+10:30 → +11)
  EXPECT_EQ(next("15,45 * * * *", "Australia/Lord_Howe", "2024-10-05T15:00:00Z", 3),
            (S{"2024-10-05T15:15:00Z", "2024-10-05T15:45:00Z", "2024-10-05T16:15:00Z"}));
  // Samoa skipped 30 December 2011 (-10 → +14): its 08:00 is read as 31 December 08:00, once
  EXPECT_EQ(next("0 8 * * *", "Pacific/Apia", "2011-12-28T20:00:00Z", 3),
            (S{"2011-12-29T18:00:00Z", "2011-12-30T18:00:00Z", "2011-12-31T18:00:00Z"}));
}

TEST(CronDst, FarFutureTransitionsComeFromTheZonesRule) {
  // past the transitions listed in the file (2037), the POSIX rule in its footer applies
  EXPECT_EQ(next("0 8 * * *", "Europe/Copenhagen", "2060-03-26T12:00:00Z", 2),
            (S{"2060-03-27T07:00:00Z", "2060-03-28T06:00:00Z"}));  // Sunday 28 March 2060
}

TEST(CronDst, LatestTickLooksIntoTheFirstPassOfARepeatedHour) {
  const auto cph = TimeZone::locate("Europe/Copenhagen").take();
  EXPECT_EQ(Schedule::parse("30 2 * * *")->latest_at_or_before(at("2024-10-27T01:10:00Z"), cph),
            at("2024-10-27T00:30:00Z"));
  EXPECT_EQ(Schedule::parse("*/20 * * * *")->latest_at_or_before(at("2024-10-27T01:10:00Z"), cph),
            at("2024-10-27T00:40:00Z"));
  // and what it returns is consistent with next_after around a skipped hour
  const auto s = Schedule::parse("0,30 2 * * *").take();
  for (const char* t : {"2024-03-31T00:59:00Z", "2024-03-31T01:00:00Z", "2024-03-31T01:40:00Z"}) {
    const auto latest = s.latest_at_or_before(at(t), cph);
    ASSERT_TRUE(latest) << t;
    EXPECT_LE(*latest, at(t)) << t;
    EXPECT_GT(*s.next_after(*latest, cph), at(t)) << t;
  }
}

}  // namespace
}  // namespace iotfleet::cron
