#include "rotation/settings.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace iotfleet::rotation {
namespace {

core::Config env(std::map<std::string, std::string> vars) {
  return core::Config([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(CycleSettings, DefaultsAreThoseOfTheSpec) {
  const auto s = load_cycle_settings(env({}), {});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->schedule.schedule.expression(), "0 8 * * 6#1");
  EXPECT_EQ(s->timeout, std::chrono::seconds(300));
  EXPECT_EQ(s->max_in_flight, 1);
  EXPECT_LE(s->backoff_base, s->backoff_cap);
}

TEST(CycleSettings, FlagsWinOverTheEnvironment) {
  CycleFlags flags;
  flags.max_in_flight = "7";
  const auto s = load_cycle_settings(env({{"ROTATION_MAX_IN_FLIGHT", "3"}, {"ROTATION_TIMEOUT_SECONDS", "60"}}), flags);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->max_in_flight, 7);
  EXPECT_EQ(s->timeout, std::chrono::seconds(60));
}

TEST(CycleSettings, BadValuesAreUsageErrorsNamingTheVariable) {
  for (const auto& [var, value] : std::vector<std::pair<std::string, std::string>>{
           {"ROTATION_TIMEOUT_SECONDS", "5m"},
           {"ROTATION_TIMEOUT_SECONDS", "0"},
           {"ROTATION_MAX_IN_FLIGHT", "-1"},
           {"ROTATION_BACKOFF_BASE_SECONDS", "1.5"},
           {"ROTATION_CRON", "0 25 * * *"}}) {
    const auto s = load_cycle_settings(env({{var, value}}), {});
    ASSERT_FALSE(s) << var << "=" << value;
    EXPECT_EQ(s.error().kind, core::ErrorKind::usage);
    EXPECT_NE(s.error().message.find(var), std::string::npos) << s.error().message;
  }
}

TEST(CycleSettings, ACapBelowTheBaseIsRefused) {
  const auto s = load_cycle_settings(
      env({{"ROTATION_BACKOFF_BASE_SECONDS", "600"}, {"ROTATION_BACKOFF_CAP_SECONDS", "60"}}), {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("ROTATION_BACKOFF_CAP_SECONDS"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::rotation
