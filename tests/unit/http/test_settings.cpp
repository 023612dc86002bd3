#include <gtest/gtest.h>

#include "http/settings.hpp"

namespace iotfleet::http {
namespace {

core::Config env(std::map<std::string, std::string> vars) {
  return core::Config([vars](const std::string& n) -> std::optional<std::string> {
    const auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  });
}

TEST(ServeSettings, Defaults) {
  const auto s = ServeSettings::load(env({})).take();
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_EQ(s.port, 8080);
  EXPECT_EQ(s.auth_modes, static_cast<unsigned>(kAuthSecret));
  EXPECT_GE(s.threads, 1u);
  EXPECT_FALSE(s.tls());
  EXPECT_EQ(s.db_role, "iot_serve");
}

TEST(ServeSettings, ListenForms) {
  EXPECT_EQ(parse_listen(":9000").take().second, 9000);
  EXPECT_EQ(parse_listen("[::1]:80").take().first, "::1");
  EXPECT_FALSE(parse_listen("localhost"));
  EXPECT_FALSE(parse_listen("x:70000"));
  EXPECT_FALSE(parse_listen("x:"));
}

TEST(ServeSettings, AuthModesAndTheirRequirements) {
  EXPECT_EQ(parse_auth_modes("jwt, secret").take(), kAuthJwt | kAuthSecret);
  EXPECT_FALSE(parse_auth_modes("jwt,password"));
  const auto cert = ServeSettings::load(env({{"IOT_SERVE_AUTH", "cert"}}));
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.error().kind, core::ErrorKind::usage);
  EXPECT_NE(cert.error().message.find("--client-ca"), std::string::npos);
  EXPECT_FALSE(ServeSettings::load(env({{"IOT_SERVE_TLS_CERT", "a.pem"}})));
}

TEST(ServeSettings, NumbersAreChecked) {
  const auto bad = ServeSettings::load(env({{"IOT_SERVE_THREADS", "0"}}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("IOT_SERVE_THREADS"), std::string::npos);
  EXPECT_FALSE(ServeSettings::load(env({{"IOT_SERVE_IDLE_TIMEOUT_SECONDS", "ten"}})));
  EXPECT_EQ(ServeSettings::load(env({{"IOT_SERVE_DB_ROLE", "none"}})).take().db_role, "");
}

TEST(ServeSettings, FlagsWinOverTheEnvironment) {
  ::setenv("IOT_SERVE_LISTEN_TEST_ONLY", "env", 1);
  const auto c = config_with_flags({{"IOT_SERVE_LISTEN_TEST_ONLY", "flag"}});
  EXPECT_EQ(c.get({"--x", "IOT_SERVE_LISTEN_TEST_ONLY", ""}).value(), "flag");
}

}  // namespace
}  // namespace iotfleet::http
