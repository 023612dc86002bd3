#include "mqtt/topics.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mqtt/notices.hpp"

namespace iotfleet::mqtt {
namespace {

using core::ErrorKind;

TEST(Topics, NoticeTopics) {
  EXPECT_EQ(rotation_topic("k3x9a2b1").value(), "iotsupport/k3x9a2b1/rotation");
  EXPECT_EQ(firmware_topic("k3x9a2b1").value(), "iotsupport/k3x9a2b1/firmware");
  EXPECT_EQ(model_firmware_topic("esp32-env").value(), "iotsupport/models/esp32-env/firmware");
}

TEST(Topics, ComponentsCannotEscapeTheirLevel) {
  for (const std::string& bad : std::vector<std::string>{
           "", "a/b", "+", "a#", "#", std::string("a\0b", 3), std::string("\xff", 1)}) {
    auto t = rotation_topic(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error().kind, ErrorKind::failure);
    EXPECT_NE(t.error().message.find("client id"), std::string::npos) << t.error().message;
  }
  auto m = model_firmware_topic("x/y");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message,
            "model code 'x/y' cannot be an MQTT topic level: it contains '+', '#', '/' or NUL");
}

TEST(Topics, ComponentAcceptsUtf8AndPunctuation) {
  EXPECT_TRUE(validate_topic_component("client id", "gw-0c8b2f41_ä.1").ok());
}

TEST(Topics, DeviceTopicSet) {
  // Data topics by device key, notices by client id: the ACL file and the dynsec role agree.
  auto set = device_topics("dev1", "m-dev1");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->write, (std::vector<std::string>{"sensors/dev1/#", "devices/dev1/status"}));
  EXPECT_EQ(set->read, (std::vector<std::string>{"commands/dev1/#", "broadcast/#",
                                                 "iotsupport/m-dev1/#"}));
  auto with_model = device_topics("dev1", "m-dev1", "esp32-env");
  ASSERT_TRUE(with_model.ok());
  EXPECT_EQ(with_model->read.back(), "iotsupport/models/esp32-env/firmware");
  for (const auto& f : with_model->read) EXPECT_TRUE(validate_topic_filter(f).ok()) << f;
  for (const auto& f : with_model->write) EXPECT_TRUE(validate_topic_filter(f).ok()) << f;
  // The rotation notice the cycle publishes is covered by the device's read filter.
  EXPECT_EQ(*rotation_topic("m-dev1"), "iotsupport/m-dev1/rotation");
  EXPECT_FALSE(device_topics("dev/1", "m-dev1").ok());
  EXPECT_FALSE(device_topics("dev1", "m/dev1").ok());
  EXPECT_FALSE(device_topics("dev1", "m-dev1", "m+").ok());
}

TEST(Topics, TopicNamesRefuseWildcards) {
  EXPECT_TRUE(validate_topic_name("iotsupport/a/rotation").ok());
  EXPECT_TRUE(validate_topic_name("/leading/and/trailing/").ok());
  for (const std::string& bad : std::vector<std::string>{
           "", "a/+/c", "a/#", "a#", std::string("a\0", 2), std::string("a/\xc0\x80", 4)}) {
    auto s = validate_topic_name(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().kind, ErrorKind::failure);
  }
  EXPECT_EQ(validate_topic_name("a/+").error().message,
            "MQTT topic 'a/+' contains a wildcard ('+' or '#'): a message needs a concrete topic");
  EXPECT_FALSE(validate_topic_name(std::string(65536, 'a')).ok());
}

TEST(Topics, FiltersAllowWholeLevelWildcards) {
  for (const char* good : {"#", "+", "a/+/c", "a/#", "+/+", "sensors/dev1/#", "a//b"})
    EXPECT_TRUE(validate_topic_filter(good).ok()) << good;
  for (const char* bad : {"", "a/#/c", "a+", "a/b#", "#/a", "a/+x"})
    EXPECT_FALSE(validate_topic_filter(bad).ok()) << bad;
}

TEST(Notices, RotationNoticeIsCompactSortedJson) {
  auto n = rotation_notice("cid-1", "k3x9a2b1", "2026-12-05T08:00:00Z");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(
      *n,
      R"({"client_id":"cid-1","device_key":"k3x9a2b1","issued_at":"2026-12-05T08:00:00Z","kind":"rotation"})");
}

TEST(Notices, RotationNoticeEscapesJson) {
  auto n = rotation_notice("a\"b", "k\\1", "2026-12-05T08:00:00.123+01:00");
  ASSERT_TRUE(n.ok()) << n.error().message;
  const auto j = nlohmann::json::parse(*n);
  EXPECT_EQ(j["client_id"], "a\"b");
  EXPECT_EQ(j["device_key"], "k\\1");
}

TEST(Notices, RotationNoticeRefusesBadInput) {
  EXPECT_FALSE(rotation_notice("", "k", "2026-12-05T08:00:00Z").ok());
  EXPECT_FALSE(rotation_notice("c", "", "2026-12-05T08:00:00Z").ok());
  auto n = rotation_notice("c", "k", "yesterday");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, ErrorKind::failure);
  EXPECT_NE(n.error().message.find("'yesterday' is not an ISO-8601 time"), std::string::npos);
}

TEST(Notices, FirmwareNotice) {
  const std::string sha(64, 'A');
  auto n = firmware_notice("esp32-env", "1.4.2", sha, "2026-12-05T08:00:00Z");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(
      *n,
      R"({"issued_at":"2026-12-05T08:00:00Z","kind":"firmware","model":"esp32-env","sha256":")" +
          std::string(64, 'a') + R"(","version":"1.4.2"})");
  EXPECT_FALSE(firmware_notice("m", "1", std::string(63, 'a'), "2026-12-05T08:00:00Z").ok());
  EXPECT_FALSE(firmware_notice("m", "1", std::string(64, 'g'), "2026-12-05T08:00:00Z").ok());
  EXPECT_FALSE(firmware_notice("", "1", sha, "2026-12-05T08:00:00Z").ok());
  EXPECT_FALSE(firmware_notice("m", "", sha, "2026-12-05T08:00:00Z").ok());
}

TEST(Notices, Iso8601) {
  EXPECT_TRUE(is_iso8601_timestamp("2026-12-05T08:00:00Z"));
  EXPECT_TRUE(is_iso8601_timestamp("2026-12-05T08:00:00.5-05:30"));
  EXPECT_FALSE(is_iso8601_timestamp("2026-12-05 08:00:00Z"));
  EXPECT_FALSE(is_iso8601_timestamp("2026-13-05T08:00:00Z"));
  EXPECT_FALSE(is_iso8601_timestamp("2026-12-05T24:00:00Z"));
  EXPECT_FALSE(is_iso8601_timestamp("2026-12-05T08:00:00"));
}

}  // namespace
}  // namespace iotfleet::mqtt
