#include "mqtt/settings.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "test_support/temp_dir.hpp"

namespace iotfleet::mqtt {
namespace {

using core::ErrorKind;

core::Config fake_config(std::map<std::string, std::string> vars) {
  return core::Config([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(BrokerUrl, PlainWithPort) {
  auto b = parse_broker_url("mqtt://broker.example:1884");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->host, "broker.example");
  EXPECT_EQ(b->port, 1884);
  EXPECT_EQ(b->paho_uri(), "tcp://broker.example:1884");
  EXPECT_EQ(b->display(), "mqtt://broker.example:1884");
}

TEST(BrokerUrl, DefaultPorts) {
  EXPECT_EQ(parse_broker_url("mqtt://h")->port, 1883);
  EXPECT_EQ(parse_broker_url("mqtts://h")->port, 8883);
  EXPECT_EQ(parse_broker_url("mqtts://h/")->port, 8883);
}

TEST(BrokerUrl, TlsMapsToSsl) {
  auto b = parse_broker_url("MQTTS://localhost:8884");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->paho_uri(), "ssl://localhost:8884");
}

TEST(BrokerUrl, Ipv6InBrackets) {
  auto b = parse_broker_url("mqtt://[::1]:1999");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->paho_uri(), "tcp://[::1]:1999");
  EXPECT_EQ(parse_broker_url("mqtt://[fe80::1]")->port, 1883);
}

TEST(BrokerUrl, CredentialsArePercentDecodedAndNeverDisplayed) {
  auto b = parse_broker_url("mqtt://svc%40org:p%3Ass@h:1883");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->username, "svc@org");
  EXPECT_EQ(b->password, "p:ss");
  EXPECT_EQ(b->display(), "mqtt://svc@org:***@h:1883");
  EXPECT_EQ(b->display().find("p:ss"), std::string::npos);
}

TEST(BrokerUrl, WrongSchemeIsAUsageErrorWithTheUrl) {
  auto b = parse_broker_url("http://x");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind, ErrorKind::usage);
  EXPECT_EQ(b.error().message, "MQTT_URL 'http://x' must start with mqtt:// or mqtts://");
}

TEST(BrokerUrl, BadUrlsAreUsageErrors) {
  const std::map<std::string, std::string> cases = {
      {"", "is empty"},
      {"broker:1883", "must start with mqtt://"},
      {"tcp://h:1883", "must start with mqtt://"},
      {"mqtt://", "has no host"},
      {"mqtt://:1883", "has no host"},
      {"mqtt://h:", "has an empty port"},
      {"mqtt://h:0", "invalid port '0'"},
      {"mqtt://h:65536", "invalid port '65536'"},
      {"mqtt://h:12ab", "invalid port '12ab'"},
      {"mqtt://h:-1", "invalid port '-1'"},
      {"mqtt://h/topic", "must not have a path"},
      {"mqtt://h:1883?x=1", "must not have a path"},
      {"mqtt://ho st", "invalid host"},
      {"mqtt://::1:1883", "more than one ':'"},
      {"mqtt://[::1:1883", "closing ']'"},
      {"mqtt://[::1]x", "text after the IPv6 address"},
      {"mqtt://[zz]:1", "invalid IPv6 address"},
      {"mqtt://@h", "invalid user name"},
      {"mqtt://u:%zz@h", "percent-encoding"},
  };
  for (const auto& [url, expected] : cases) {
    auto b = parse_broker_url(url);
    ASSERT_FALSE(b.ok()) << url;
    EXPECT_EQ(b.error().kind, ErrorKind::usage) << url;
    EXPECT_NE(b.error().message.find(expected), std::string::npos)
        << url << " → " << b.error().message;
  }
}

TEST(BrokerUrl, ErrorsRedactThePassword) {
  auto b = parse_broker_url("mqtt://user:hunter2@h:99999");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message.find("hunter2"), std::string::npos) << b.error().message;
  EXPECT_NE(b.error().message.find("user:***@h"), std::string::npos) << b.error().message;
}

TEST(RedactUrl, ReplacesOnlyThePassword) {
  EXPECT_EQ(redact_url("mqtt://u:secret@h:1"), "mqtt://u:***@h:1");
  EXPECT_EQ(redact_url("mqtt://u:se@cret@h"), "mqtt://u:***@h");
  EXPECT_EQ(redact_url("mqtt://u@h:1"), "mqtt://u@h:1");
  EXPECT_EQ(redact_url("mqtt://h:1"), "mqtt://h:1");
  EXPECT_EQ(redact_url("u:secret@h"), "u:***@h");
}

TEST(MqttSettings, MissingUrlNamesFlagAndVariable) {
  auto s = load_settings(fake_config({}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::usage);
  EXPECT_EQ(s.error().message, "missing setting: give --mqtt-url or set MQTT_URL");
}

TEST(MqttSettings, FlagWinsAndDefaultsApply) {
  auto s = load_settings(fake_config({{"MQTT_URL", "mqtt://env:1"}}), {.url = "mqtt://flag:2"},
                         "iot-rotate");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->broker.host, "flag");
  EXPECT_TRUE(s->username.empty());
  EXPECT_FALSE(s->password);
  EXPECT_EQ(s->client_id, default_client_id("iot-rotate"));
}

TEST(MqttSettings, DefaultClientIdIsProgramHostPid) {
  const std::string id = default_client_id("iot rotate");
  EXPECT_TRUE(id.starts_with("iot-rotate-")) << id;
  EXPECT_TRUE(id.ends_with("-" + std::to_string(::getpid()))) << id;
  EXPECT_EQ(
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"),
      std::string::npos);
  EXPECT_FALSE(default_client_id().starts_with("-"));
}

TEST(MqttSettings, CredentialsFromEnvironmentWinOverTheUrl) {
  auto s = load_settings(fake_config({{"MQTT_URL", "mqtt://u:urlpass@h"},
                                      {"MQTT_USERNAME", "svc"},
                                      {"MQTT_PASSWORD", "envpass"},
                                      {"MQTT_CLIENT_ID", "job-1"}}));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->username, "svc");
  EXPECT_EQ(s->password, "envpass");
  EXPECT_EQ(s->client_id, "job-1");
}

TEST(MqttSettings, PasswordFromFile) {
  test_support::TempDir dir;
  std::ofstream(dir.path() / "pw") << "from-file\n";
  auto s = load_settings(fake_config({{"MQTT_URL", "mqtt://h"},
                                      {"MQTT_USERNAME", "svc"},
                                      {"MQTT_PASSWORD_FILE", (dir.path() / "pw").string()}}));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->password, "from-file");
}

TEST(MqttSettings, PasswordInTheUrlFlagIsRefused) {
  auto s = load_settings(fake_config({}), {.url = "mqtt://u:hunter2@h"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::usage);
  EXPECT_NE(s.error().message.find("--mqtt-url must not contain a password"), std::string::npos);
  EXPECT_EQ(s.error().message.find("hunter2"), std::string::npos);
}

TEST(MqttSettings, PasswordWithoutUserIsRefused) {
  auto s = load_settings(fake_config({{"MQTT_URL", "mqtt://h"}, {"MQTT_PASSWORD", "x"}}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "MQTT_PASSWORD is set but MQTT_USERNAME is not");
}

TEST(MqttSettings, TlsFilesNeedMqtts) {
  test_support::TempDir dir;
  const auto ca = (dir.path() / "ca.pem").string();
  std::ofstream(ca) << "pem";
  auto s = load_settings(fake_config({{"MQTT_URL", "mqtt://h"}, {"MQTT_CA_FILE", ca}}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::usage);
  EXPECT_EQ(s.error().message,
            "MQTT_CA_FILE is set but MQTT_URL 'mqtt://h:1883' does not use TLS: use mqtts:// or "
            "unset it");
  auto t = load_settings(fake_config({{"MQTT_URL", "mqtts://h"}, {"MQTT_CA_FILE", ca}}));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->ca_file, ca);
}

TEST(MqttSettings, MissingTlsFileIsNamed) {
  auto s = load_settings(
      fake_config({{"MQTT_URL", "mqtts://h"}, {"MQTT_CLIENT_CERT", "/nonexistent/c.pem"}}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "MQTT_CLIENT_CERT '/nonexistent/c.pem' is not a file");
}

TEST(MqttSettings, KeyWithoutCertificateIsRefused) {
  test_support::TempDir dir;
  const auto key = (dir.path() / "k.pem").string();
  std::ofstream(key) << "pem";
  auto s = load_settings(fake_config({{"MQTT_URL", "mqtts://h"}, {"MQTT_CLIENT_KEY", key}}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "MQTT_CLIENT_KEY is set without MQTT_CLIENT_CERT");
}

TEST(MqttSettings, EmptyClientIdFlagIsRefused) {
  auto s = load_settings(fake_config({{"MQTT_URL", "mqtt://h"}}), {.client_id = ""});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::usage);
}

}  // namespace
}  // namespace iotfleet::mqtt
