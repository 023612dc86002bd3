#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "cron/schedule.hpp"

namespace iotfleet::cron {
namespace {

sys_seconds at(const std::string& iso) { return parse_time(iso, TimeZone::utc()).take(); }

// The next n fire times after `from`, in UTC, as ISO strings.
std::vector<std::string> next(const std::string& expression, const std::string& from,
                              std::size_t n = 1) {
  const auto schedule = Schedule::parse(expression);
  EXPECT_TRUE(schedule.ok()) << expression << ": " << (schedule ? "" : schedule.error().message);
  if (!schedule) return {};
  std::vector<std::string> out;
  for (auto t : next_times(schedule.value(), at(from), n, TimeZone::utc()))
    out.push_back(core::format_iso_utc(t));
  return out;
}
using S = std::vector<std::string>;

TEST(CronNext, DefaultRotationScheduleIsTheFirstSaturdayAt0800) {
  EXPECT_EQ(next("0 8 * * 6#1", "2026-11-07T08:00:00Z", 3),
            (S{"2026-12-05T08:00:00Z", "2027-01-02T08:00:00Z", "2027-02-06T08:00:00Z"}));
}

TEST(CronNext, IsStrictlyAfterTheStart) {
  EXPECT_EQ(next("0 8 * * *", "2026-01-01T08:00:00Z"), (S{"2026-01-02T08:00:00Z"}));
  EXPECT_EQ(next("0 8 * * *", "2026-01-01T07:59:59Z"), (S{"2026-01-01T08:00:00Z"}));
  EXPECT_EQ(next("* * * * *", "2026-01-01T08:00:30Z", 2),
            (S{"2026-01-01T08:01:00Z", "2026-01-01T08:02:00Z"}));
}

TEST(CronNext, StepsRangesListsAndNames) {
  EXPECT_EQ(next("*/15 * * * *", "2026-01-01T00:50:00Z", 2),
            (S{"2026-01-01T01:00:00Z", "2026-01-01T01:15:00Z"}));
  EXPECT_EQ(next("10-40/15 9 * * *", "2026-01-01T09:30:00Z", 2),
            (S{"2026-01-01T09:40:00Z", "2026-01-02T09:10:00Z"}));
  EXPECT_EQ(next("0 0 1 jan,JUL *", "2026-02-01T00:00:00Z", 2),
            (S{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
  EXPECT_EQ(next("0 12 * * mon-fri", "2026-01-02T12:00:00Z", 2),  // Friday → Monday, Tuesday
            (S{"2026-01-05T12:00:00Z", "2026-01-06T12:00:00Z"}));
  EXPECT_EQ(next("0 12 * * 7", "2026-01-01T00:00:00Z"), (S{"2026-01-04T12:00:00Z"}));  // Sunday
}

TEST(CronNext, EitherRestrictedDayFieldMatches) {
  // the 13th or a Friday: 2026-02-13 is both, then Friday 20th, 27th, then 13 March (also a Friday)
  EXPECT_EQ(next("0 0 13 * 5", "2026-02-06T00:00:00Z", 4),
            (S{"2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z",
               "2026-03-06T00:00:00Z"}));
  EXPECT_EQ(next("0 0 1,15 * sun", "2026-02-02T00:00:00Z", 3),
            (S{"2026-02-08T00:00:00Z", "2026-02-15T00:00:00Z", "2026-02-22T00:00:00Z"}));
}

TEST(CronNext, ListingEveryDayCountsAsStarSoTheWeekdayDecides) {
  // croniter: "1-31" (and "2-31,L") is '*', so no OR: Mondays only, the 1st included
  EXPECT_EQ(next("0 0 1-31 * 1", "2026-01-01T00:00:00Z"), (S{"2026-01-05T00:00:00Z"}));
  EXPECT_EQ(next("0 0 2-31,L * 1", "2023-12-31T00:00:00Z"), (S{"2024-01-01T00:00:00Z"}));
}

TEST(CronNext, NthWeekdayDecidesAloneWhenDayOfMonthIsRestrictedToo) {
  // croniter ANDs the day of month with 6#1, then ORs with 6#1 alone: the 1st does not fire
  EXPECT_EQ(next("0 8 1 * 6#1", "2026-03-01T00:00:00Z", 2),
            (S{"2026-03-07T08:00:00Z", "2026-04-04T08:00:00Z"}));
  // croniter raises here (the AND never matches); we keep the weekday
  EXPECT_EQ(next("0 0 31 * 6#1", "2026-03-01T00:00:00Z"), (S{"2026-03-07T00:00:00Z"}));
}

TEST(CronNext, AnImpossibleDayOfMonthLeavesTheWeekday) {
  // croniter raises "failed to find next date"; the OR rule says every Monday of February
  EXPECT_EQ(next("0 0 30 2 mon", "2026-01-01T00:00:00Z", 2),
            (S{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"}));
}

TEST(CronNext, DayListsDoNotSkipTheStartOfTheNextMonth) {
  // croniter 1.3.5 jumps from 27 February to 2 March here (and so to 30 March)
  EXPECT_EQ(next("0 0 1,30 * *", "2023-02-27T00:00:00Z", 2),
            (S{"2023-03-01T00:00:00Z", "2023-03-30T00:00:00Z"}));
  EXPECT_EQ(next("0 0 1,30,L * *", "2023-02-27T00:00:00Z", 2),
            (S{"2023-02-28T00:00:00Z", "2023-03-01T00:00:00Z"}));
}

TEST(CronNext, LastDayOfMonthAndLeapYears) {
  EXPECT_EQ(next("0 0 L * *", "2024-01-31T00:00:00Z", 3),
            (S{"2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z", "2024-04-30T00:00:00Z"}));
  EXPECT_EQ(next("0 0 L 2 *", "2023-01-01T00:00:00Z", 2),
            (S{"2023-02-28T00:00:00Z", "2024-02-29T00:00:00Z"}));
  EXPECT_EQ(next("0 0 29 2 *", "2023-01-01T00:00:00Z", 2),
            (S{"2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"}));
  EXPECT_EQ(next("0 0 29 2 *", "2096-03-01T00:00:00Z"),
            (S{"2104-02-29T00:00:00Z"}));  // 2100 is no leap year
  EXPECT_EQ(next("0 0 28-L * *", "2023-02-27T00:00:00Z", 2),
            (S{"2023-02-28T00:00:00Z", "2023-03-28T00:00:00Z"}));
}

TEST(CronNext, LastAndNthWeekdayOfTheMonth) {
  EXPECT_EQ(next("0 18 * * 5L", "2026-01-01T00:00:00Z", 2),
            (S{"2026-01-30T18:00:00Z", "2026-02-27T18:00:00Z"}));
  EXPECT_EQ(next("0 18 * * L5", "2026-01-01T00:00:00Z"), (S{"2026-01-30T18:00:00Z"}));
  EXPECT_EQ(next("0 0 * * sun#2", "2026-01-01T00:00:00Z"), (S{"2026-01-11T00:00:00Z"}));
  // a fifth Saturday only in months that have one
  EXPECT_EQ(next("0 0 * * 6#5", "2026-01-01T00:00:00Z", 2),
            (S{"2026-01-31T00:00:00Z", "2026-05-30T00:00:00Z"}));
  EXPECT_EQ(next("0 0 * * 1#1,5L", "2026-01-01T00:00:00Z", 3),
            (S{"2026-01-05T00:00:00Z", "2026-01-30T00:00:00Z", "2026-02-02T00:00:00Z"}));
}

TEST(CronNext, NearestWeekday) {
  // 15 Aug 2026 is a Saturday → Friday 14th; 15 Nov 2026 a Sunday → Monday 16th
  EXPECT_EQ(next("0 9 15W * *", "2026-08-01T00:00:00Z"), (S{"2026-08-14T09:00:00Z"}));
  EXPECT_EQ(next("0 9 15W * *", "2026-11-01T00:00:00Z"), (S{"2026-11-16T09:00:00Z"}));
  EXPECT_EQ(next("0 9 15W * *", "2026-12-01T00:00:00Z"), (S{"2026-12-15T09:00:00Z"}));  // Tuesday
  // never across the month: Saturday 1 Aug 2026 → Monday 3rd; Sunday 31 May 2026 → Friday 29th
  EXPECT_EQ(next("0 9 1W * *", "2026-07-31T00:00:00Z"), (S{"2026-08-03T09:00:00Z"}));
  EXPECT_EQ(next("0 9 31W * *", "2026-05-01T00:00:00Z"), (S{"2026-05-29T09:00:00Z"}));
  // June has no 31st
  EXPECT_EQ(next("0 9 31W * *", "2026-06-01T00:00:00Z"), (S{"2026-07-31T09:00:00Z"}));
  // the last weekday: 31 Jan 2026 is a Saturday → Friday 30th
  EXPECT_EQ(next("0 9 LW * *", "2026-01-01T00:00:00Z", 2),
            (S{"2026-01-30T09:00:00Z", "2026-02-27T09:00:00Z"}));
}

TEST(CronNext, Macros) {
  EXPECT_EQ(next("@hourly", "2026-01-01T10:30:00Z"), (S{"2026-01-01T11:00:00Z"}));
  EXPECT_EQ(next("@daily", "2026-01-01T10:30:00Z"), (S{"2026-01-02T00:00:00Z"}));
  EXPECT_EQ(next("@weekly", "2026-01-01T10:30:00Z"), (S{"2026-01-04T00:00:00Z"}));
  EXPECT_EQ(next("@monthly", "2026-01-01T10:30:00Z"), (S{"2026-02-01T00:00:00Z"}));
  EXPECT_EQ(next("@yearly", "2026-01-01T10:30:00Z"), (S{"2027-01-01T00:00:00Z"}));
}

TEST(CronNext, AnExpressionThatNeverMatchesEndsWithinABoundedSearch) {
  for (const char* expression : {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 2 *"}) {
    const auto s = Schedule::parse(expression);
    ASSERT_TRUE(s.ok()) << expression;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_FALSE(s->next_after(at("2026-01-01T00:00:00Z"), TimeZone::utc())) << expression;
    EXPECT_FALSE(s->latest_at_or_before(at("2026-01-01T00:00:00Z"), TimeZone::utc())) << expression;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1)) << expression;
  }
}

TEST(CronLatest, IsTheTickAtOrBeforeTheTime) {
  const auto s = Schedule::parse("0 8 * * 6#1").take();
  const auto utc = TimeZone::utc();
  EXPECT_EQ(s.latest_at_or_before(at("2026-12-10T00:00:00Z"), utc), at("2026-12-05T08:00:00Z"));
  EXPECT_EQ(s.latest_at_or_before(at("2026-12-05T08:00:00Z"), utc), at("2026-12-05T08:00:00Z"));
  EXPECT_EQ(s.latest_at_or_before(at("2026-12-05T07:59:59Z"), utc), at("2026-11-07T08:00:00Z"));
  const auto every = Schedule::parse("*/10 * * * *").take();
  EXPECT_EQ(every.latest_at_or_before(at("2026-12-05T08:09:59Z"), utc), at("2026-12-05T08:00:00Z"));
}

TEST(CronMatches, TheWallMinute) {
  const auto s = Schedule::parse("30 8 * * 6#1").take();
  using namespace std::chrono;
  const local_days first_saturday{year{2026} / 12 / 5};
  EXPECT_TRUE(s.matches(first_saturday + hours{8} + minutes{30} + seconds{59}));
  EXPECT_FALSE(s.matches(first_saturday + hours{8} + minutes{31}));
  EXPECT_FALSE(s.matches(first_saturday + days{7} + hours{8} + minutes{30}));
}

}  // namespace
}  // namespace iotfleet::cron
