#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cron/schedule.hpp"

namespace iotfleet::cron {
namespace {

Schedule::Fields fields(const std::string& expression) {
  auto s = Schedule::parse(expression);
  if (!s) ADD_FAILURE() << expression << ": " << s.error().message;
  return s ? s->fields() : Schedule::Fields{};
}

template <std::size_t N>
std::vector<int> values(const std::bitset<N>& bits) {
  std::vector<int> out;
  for (std::size_t i = 0; i < N; ++i)
    if (bits[i]) out.push_back(static_cast<int>(i));
  return out;
}
using V = std::vector<int>;

TEST(CronParse, StarListRangeAndSteps) {
  EXPECT_EQ(fields("* * * * *").minutes.count(), 60u);
  EXPECT_EQ(values(fields("1,15,30 * * * *").minutes), (V{1, 15, 30}));
  EXPECT_EQ(values(fields("0 9-17 * * *").hours), (V{9, 10, 11, 12, 13, 14, 15, 16, 17}));
  EXPECT_EQ(values(fields("*/15 * * * *").minutes), (V{0, 15, 30, 45}));
  EXPECT_EQ(values(fields("10-40/10 * * * *").minutes), (V{10, 20, 30, 40}));
  EXPECT_EQ(values(fields("50/5 * * * *").minutes), (V{50, 55}));  // a/n runs to the top
  EXPECT_EQ(values(fields("0 0 */10 * *").days), (V{1, 11, 21, 31}));
  EXPECT_EQ(values(fields("0 0 * */5 *").months), (V{1, 6, 11}));
  EXPECT_EQ(values(fields("1-5/10 * * * *").minutes), (V{1}));
  EXPECT_EQ(values(fields("005 * * * *").minutes), (V{5}));
  EXPECT_EQ(values(fields("0\t0  *\t* *").hours), (V{0}));
}

TEST(CronParse, NamesAreCaseInsensitive) {
  EXPECT_EQ(values(fields("0 0 * jan-MAR *").months), (V{1, 2, 3}));
  EXPECT_EQ(values(fields("0 0 * Jul,dec *").months), (V{7, 12}));
  EXPECT_EQ(values(fields("0 0 * jan/5 *").months), (V{1, 6, 11}));
  EXPECT_EQ(values(fields("0 0 * * MON-fri").weekdays), (V{1, 2, 3, 4, 5}));
  EXPECT_EQ(values(fields("0 0 * * Sun").weekdays), (V{0}));
}

TEST(CronParse, ZeroAndSevenAreSunday) {
  EXPECT_EQ(values(fields("0 0 * * 7").weekdays), (V{0}));
  EXPECT_EQ(values(fields("0 0 * * 0").weekdays), (V{0}));
  EXPECT_EQ(values(fields("0 0 * * 5-7").weekdays), (V{0, 5, 6}));
  // croniter lets a weekday range end on Sunday written as 0 or SUN
  EXPECT_EQ(values(fields("0 0 * * fri-sun").weekdays), (V{0, 5, 6}));
  EXPECT_EQ(values(fields("0 0 * * 5-0").weekdays), (V{0, 5, 6}));
}

TEST(CronParse, WeekdayStepsRunToSevenAsCroniterDoes) {
  EXPECT_EQ(values(fields("0 0 * * */2").weekdays), (V{0, 2, 4, 6}));
  EXPECT_EQ(values(fields("0 0 * * 1/2").weekdays), (V{0, 1, 3, 5}));  // 1,3,5,7
  EXPECT_EQ(values(fields("0 0 * * */7").weekdays), (V{0}));
}

TEST(CronParse, LastDayNearestWeekdayAndNthWeekday) {
  EXPECT_TRUE(fields("0 0 L * *").last_day);
  EXPECT_EQ(values(fields("0 0 28-L * *").days), (V{28, 29, 30, 31}));
  EXPECT_EQ(values(fields("0 0 15W * *").nearest_weekday), (V{15}));
  EXPECT_TRUE(fields("0 0 lw * *").last_weekday);
  EXPECT_EQ(fields("0 8 * * 6#1").nth[6], 1u << 1);
  EXPECT_EQ(fields("0 8 * * SAT#1,sat#3").nth[6], (1u << 1) | (1u << 3));
  EXPECT_EQ(fields("0 8 * * 7#2").nth[0], 1u << 2);
  EXPECT_EQ(fields("0 8 * * L5").nth[5], 1u);  // croniter's spelling of the last Friday
  EXPECT_EQ(fields("0 8 * * 5l").nth[5], 1u);  // the usual one
  EXPECT_EQ(fields("0 8 * * L5,6#2").nth[6], 1u << 2);
}

TEST(CronParse, WhatCountsAsEveryDayFollowsCroniter) {
  EXPECT_TRUE(fields("0 0 * * *").days_any);
  EXPECT_TRUE(fields("0 0 1-31 * *").days_any);
  EXPECT_TRUE(fields("0 0 1-L * *").days_any);
  EXPECT_TRUE(fields("0 0 2-31,L * *").days_any);  // 31 items, so croniter reads '*'
  EXPECT_TRUE(fields("0 0 *,5 * *").days_any);
  EXPECT_FALSE(fields("0 0 1-30 * *").days_any);
  EXPECT_FALSE(fields("0 0 L * *").days_any);
  EXPECT_TRUE(fields("0 0 * * 0-6").weekdays_any);
  EXPECT_TRUE(fields("0 0 * * 1-7").weekdays_any);
  EXPECT_TRUE(fields("0 0 * * 0-7").weekdays_any);
  EXPECT_FALSE(fields("0 0 * * 1-6").weekdays_any);
  // '#' items may go with '*' or a full week, but not with plain weekdays
  EXPECT_TRUE(fields("0 0 * * *,6#1").weekdays_any);
  EXPECT_TRUE(fields("0 0 * * 0-6,6#1").weekdays_any);
}

TEST(CronParse, Macros) {
  const auto same = [](const char* macro, const char* expression) {
    const auto a = fields(macro), b = fields(expression);
    EXPECT_EQ(a.minutes, b.minutes) << macro;
    EXPECT_EQ(a.hours, b.hours) << macro;
    EXPECT_EQ(a.days, b.days) << macro;
    EXPECT_EQ(a.months, b.months) << macro;
    EXPECT_EQ(a.weekdays, b.weekdays) << macro;
    EXPECT_EQ(a.days_any, b.days_any) << macro;
    EXPECT_EQ(a.weekdays_any, b.weekdays_any) << macro;
  };
  same("@yearly", "0 0 1 1 *");
  same("@annually", "0 0 1 1 *");
  same("@monthly", "0 0 1 * *");
  same("@weekly", "0 0 * * 0");
  same("@daily", "0 0 * * *");
  same("@midnight", "0 0 * * *");
  same("@hourly", "0 * * * *");
  same("@DAILY", "0 0 * * *");
  same(" @daily\n", "0 0 * * *");
  EXPECT_EQ(Schedule::parse("@daily")->expression(), "@daily");
}

struct BadCase {
  const char* expression;
  const char* message;  // the whole message after "cron expression '<expression>': "
};

class CronParseError : public testing::TestWithParam<BadCase> {};

TEST_P(CronParseError, IsAUsageErrorNamingTheField) {
  const auto& c = GetParam();
  const auto s = Schedule::parse(c.expression);
  ASSERT_FALSE(s.ok()) << c.expression;
  EXPECT_EQ(s.error().kind, core::ErrorKind::usage);
  EXPECT_EQ(s.error().message, "cron expression '" + std::string(c.expression) + "': " + c.message);
  EXPECT_NE(s.error().hint.find("minute hour day-of-month month day-of-week"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Every, CronParseError,
    testing::Values(
        BadCase{"0 25 * * *", "hour field '25' is out of range 0-23"},
        BadCase{"60 * * * *", "minute field '60' is out of range 0-59"},
        BadCase{"0 1,25 * * *", "hour field '1,25': '25' is out of range 0-23"},
        BadCase{"0 20-25 * * *", "hour field '20-25' is out of range 0-23"},
        BadCase{"0 0 0 * *", "day-of-month field '0' is out of range 1-31"},
        BadCase{"0 0 32 * *", "day-of-month field '32' is out of range 1-31"},
        BadCase{"0 0 0/5 * *", "day-of-month field '0/5' is out of range 1-31"},
        BadCase{"0 0 * 0 *", "month field '0' is out of range 1-12 or JAN-DEC"},
        BadCase{"0 0 * 13 *", "month field '13' is out of range 1-12 or JAN-DEC"},
        BadCase{"0 0 * * 8", "day-of-week field '8' is out of range 0-7 or SUN-SAT"},
        BadCase{"0 0 * * L8", "day-of-week field 'L8' is out of range 0-7 or SUN-SAT"},
        BadCase{"*/0 * * * *", "minute field '*/0' has a step of 0 (steps start at 1)"},
        BadCase{"*/x * * * *",
                "minute field '*/x' has a step that is not a number (write */15 or 10-40/5)"},
        BadCase{"*/5/2 * * * *",
                "minute field '*/5/2' has a step that is not a number (write */15 or 10-40/5)"},
        BadCase{"0 22-2 * * *",
                "hour field '22-2' runs backwards (ranges do not wrap around: write 22-23,0-2)"},
        BadCase{"0 0 * * tue-mon",
                "day-of-week field 'tue-mon' runs backwards (ranges do not wrap around: write "
                "22-23,0-2)"},
        BadCase{
            "0 0 * * 5-00",
            "day-of-week field '5-00' runs backwards (ranges do not wrap around: write 22-23,0-2)"},
        BadCase{"0 0 * jam *", "month field 'jam' is not a number or a month name (JAN-DEC)"},
        BadCase{"0 0 jan * *", "day-of-month field 'jan' is not a number"},
        BadCase{"0 0 * * sunday",
                "day-of-week field 'sunday' is not a number or a weekday name (SUN-SAT)"},
        BadCase{"0 0 ? * *",
                "day-of-month field '?' uses '?', which croniter does not accept: write *"},
        BadCase{"1,,2 * * * *", "minute field '1,,2' has an empty list item"},
        BadCase{"1, * * * *", "minute field '1,' has an empty list item"},
        BadCase{"-5 * * * *", "minute field '-5' is negative"},
        BadCase{"5- * * * *", "minute field '5-' is not a range (write a-b, such as 9-17)"},
        BadCase{"1-2-3 * * * *", "minute field '1-2-3' is not a range (write a-b, such as 9-17)"},
        BadCase{
            "0 L * * *",
            "hour field 'L' uses L, which only day-of-month (last day) and day-of-week (5L) allow"},
        BadCase{"0 0 L-5 * *",
                "day-of-month field 'L-5' uses L where only a number fits: L stands alone or ends "
                "a range (15-L)"},
        BadCase{"0 0 * * L",
                "day-of-week field 'L' is not a weekday with L: write 5L or L5 for the last Friday "
                "(L alone is the last day, in day-of-month)"},
        BadCase{"0 0 * * 6#6", "day-of-week field '6#6' has a week number outside 1-5"},
        BadCase{"0 0 * * 6#0", "day-of-week field '6#0' has a week number outside 1-5"},
        BadCase{
            "0 0 * * 6#1junk",
            "day-of-week field '6#1junk' is not a weekday and a week number, such as 6#1 or SAT#1"},
        BadCase{
            "0 0 * * 1-5#2",
            "day-of-week field '1-5#2' is not a weekday and a week number, such as 6#1 or SAT#1"},
        BadCase{"0 0 * * 1,6#1",
                "day-of-week field '1,6#1' mixes plain weekdays with '#' or 'L' ones, which "
                "croniter does not support"},
        BadCase{"0 0 1#1 * *",
                "day-of-month field '1#1' uses '#', which only day-of-week allows (6#1 = first "
                "Saturday)"},
        BadCase{"0 0 32W * *", "day-of-month field '32W' is out of range 1-31"},
        BadCase{"0 0 1-5W * *", "day-of-month field '1-5W' is not a day with W: write 15W or LW"},
        BadCase{"H * * * *", "minute field 'H' is not a number"},
        BadCase{"0 0 * * * *", "has 6 fields, not 5 (a seconds field is not supported)"},
        BadCase{"0 0 * *", "has 4 fields, not 5"}, BadCase{"", "is empty"},
        BadCase{"@reboot",
                "unknown macro (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
                "@hourly)"}));

}  // namespace
}  // namespace iotfleet::cron
