// `iot-rotate next` run the way an operator runs it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support/process.hpp"

namespace iotfleet {
namespace {

using test_support::RunOptions;

test_support::RunResult rotate(const std::vector<std::string>& args, RunOptions options = {}) {
  options.unset = {"ROTATION_CRON", "ROTATION_TZ", "ROTATION_CRON_FILE", "ROTATION_TZ_FILE"};
  return test_support::run(test_support::bin("iot-rotate"), args, options);
}

TEST(IotRotateNext, PrintsOneUtcTimePerLine) {
  const auto r =
      rotate({"next", "--cron", "0 8 * * 6#1", "--from", "2026-11-07T08:00:00Z", "--count", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2026-12-05T08:00:00Z\n2027-01-02T08:00:00Z\n2027-02-06T08:00:00Z\n");
  EXPECT_EQ(r.err, "");
}

TEST(IotRotateNext, DefaultsToTheFirstSaturdayAt0800UtcAndFiveTimes) {
  const auto r = rotate({"next", "--from", "2026-11-07T08:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "2026-12-05T08:00:00Z\n2027-01-02T08:00:00Z\n2027-02-06T08:00:00Z\n2027-03-06T08:00:00Z\n"
      "2027-04-03T08:00:00Z\n");
}

TEST(IotRotateNext, ReadsTheEnvironmentAndFlagsWin) {
  RunOptions env;
  env.env = {{"ROTATION_CRON", "@daily"}, {"ROTATION_TZ", "Europe/Copenhagen"}};
  auto r = rotate({"next", "--from", "2026-12-05T12:00:00Z", "--count", "1"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2026-12-05T23:00:00Z\n");
  r = rotate({"next", "--from", "2026-12-05T12:00:00Z", "--count", "1", "--cron", "0 12 * * *",
              "--tz", "UTC"},
             env);
  EXPECT_EQ(r.out, "2026-12-06T12:00:00Z\n");
}

TEST(IotRotateNext, FromWithoutAnOffsetIsWallTimeInTheZone) {
  const auto r = rotate({"next", "--cron", "30 2 * * *", "--tz", "Europe/Copenhagen", "--from",
                         "2024-03-30 12:00", "--count", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2024-03-31T01:30:00Z\n2024-04-01T00:30:00Z\n");
}

TEST(IotRotateNext, JsonIsAnArray) {
  const auto r = rotate({"next", "--cron", "@monthly", "--from", "2026-01-15T00:00:00Z", "--count",
                         "2", "--output", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json::array({"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}));
}

TEST(IotRotateNext, AnInvalidExpressionIsAUsageErrorNamingTheField) {
  const auto r = rotate({"next", "--cron", "0 25 * * *"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(
      r.err.find(
          "iot-rotate: error: cron expression '0 25 * * *': hour field '25' is out of range 0-23"),
      std::string::npos)
      << r.err;
}

TEST(IotRotateNext, AnInvalidEnvironmentValueNamesTheVariable) {
  RunOptions env;
  env.env = {{"ROTATION_CRON", "0 8 * * 6#6"}};
  const auto r = rotate({"next"}, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find(
          "iot-rotate: error: ROTATION_CRON: cron expression '0 8 * * 6#6': day-of-week field"),
      std::string::npos)
      << r.err;
}

TEST(IotRotateNext, UnknownZoneBadTimeAndBadCountAreUsageErrors) {
  auto r = rotate({"next", "--tz", "Europe/Copenhagn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown time zone 'Europe/Copenhagn'"), std::string::npos) << r.err;
  r = rotate({"next", "--from", "yesterday"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("invalid time 'yesterday'"), std::string::npos) << r.err;
  r = rotate({"next", "--count", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--count"), std::string::npos) << r.err;
}

TEST(IotRotateNext, AnExpressionThatNeverFiresIsAUsageError) {
  const auto r = rotate({"next", "--cron", "0 0 30 2 *", "--from", "2026-01-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cron expression '0 0 30 2 *' never fires"), std::string::npos) << r.err;
}

TEST(IotRotateNext, HelpTeachesAndTyposGetASuggestion) {
  auto r = rotate({"next", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("ROTATION_CRON"), std::string::npos);
  EXPECT_NE(r.out.find("ROTATION_TZ"), std::string::npos);
  EXPECT_NE(r.out.find("6#1"), std::string::npos);
  r = rotate({"nxt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'next'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace iotfleet
