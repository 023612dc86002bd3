#include "core/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "test_support/temp_dir.hpp"

namespace iotfleet::core {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr Setting kUrl{"--base-url", "DEVICE_BASE_URL", "http://default"};
constexpr Setting kRequired{"--token-url", "OIDC_TOKEN_URL", ""};

TEST(Config, FlagWinsOverEnvironmentAndDefault) {
  Config config(fake_env({{"DEVICE_BASE_URL", "http://env"}}));
  EXPECT_EQ(config.get(kUrl, std::string("http://flag")), "http://flag");
}

TEST(Config, EnvironmentWinsOverDefault) {
  Config config(fake_env({{"DEVICE_BASE_URL", "http://env"}}));
  EXPECT_EQ(config.get(kUrl), "http://env");
}

TEST(Config, DefaultWhenNothingElse) {
  Config config(fake_env({}));
  EXPECT_EQ(config.get(kUrl), "http://default");
}

TEST(Config, VariableFileIsReadAndTrailingNewlineDropped) {
  test_support::TempDir dir;
  const auto path = dir.path() / "token-url";
  std::ofstream(path) << "http://from-file\n";
  Config config(fake_env({{"OIDC_TOKEN_URL_FILE", path.string()}}));
  EXPECT_EQ(config.get(kRequired), "http://from-file");
}

TEST(Config, VariableWinsOverVariableFile) {
  Config config(fake_env({{"OIDC_TOKEN_URL", "http://env"}, {"OIDC_TOKEN_URL_FILE", "/nonexistent"}}));
  EXPECT_EQ(config.get(kRequired), "http://env");
}

TEST(Config, UnreadableVariableFileIsAUsageError) {
  Config config(fake_env({{"OIDC_TOKEN_URL_FILE", "/nonexistent/file"}}));
  try {
    config.get(kRequired);
    FAIL() << "expected a Failure";
  } catch (const Failure& f) {
    EXPECT_EQ(f.error().kind, ErrorKind::usage);
    EXPECT_NE(f.error().message.find("OIDC_TOKEN_URL_FILE"), std::string::npos);
  }
}

TEST(Config, MissingRequiredSettingNamesFlagAndVariable) {
  Config config(fake_env({}));
  auto r = config.require(kRequired);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::usage);
  EXPECT_EQ(r.error().message, "missing setting: give --token-url or set OIDC_TOKEN_URL");
}

TEST(Config, EnvironmentOnlySettingNamesOnlyTheVariable) {
  Config config(fake_env({}));
  auto r = config.require(Setting{"", "IOT_SECRET_KEY", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "missing setting: set IOT_SECRET_KEY");
}

}  // namespace
}  // namespace iotfleet::core
