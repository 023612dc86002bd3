#include "core/log.hpp"

#include <gtest/gtest.h>

namespace iotfleet::core::log {
namespace {

TEST(Log, JsonLineHasFieldsAndEndsWithNewline) {
  const auto line = format_line(Format::json, Level::warn, "iot-rotate", "broker down", {{"attempt", 3}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one object per line";
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "warn");
  EXPECT_EQ(parsed["program"], "iot-rotate");
  EXPECT_EQ(parsed["msg"], "broker down");
  EXPECT_EQ(parsed["attempt"], 3);
  EXPECT_TRUE(parsed["ts"].get<std::string>().ends_with("Z"));
}

TEST(Log, MessagesWithNewlinesStayOnOneJsonLine) {
  const auto line = format_line(Format::json, Level::info, "p", "two\nlines", nlohmann::json::object());
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(Log, TextLineIsReadable) {
  EXPECT_EQ(format_line(Format::text, Level::info, "iot-provision", "created", {{"model", "env"}, {"count", 2}}),
            "iot-provision: info: created count=2 model=env\n");
}

}  // namespace
}  // namespace iotfleet::core::log
