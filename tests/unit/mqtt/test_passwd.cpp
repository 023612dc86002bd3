#include "mqtt/passwd.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace iotfleet::mqtt {
namespace {

// The users and passwords of ../shared/fixtures/mosquitto/README.md.
const std::map<std::string, std::string> kPasswords = {
    {"os2iot-backend", "backend-test-pass-1"},
    {"gw-0c8b2f41", "Gateway#Test 2026"},
    {"sensor_ab12", "p\xc3\xa4ss:w\xc3\xb6rd"},
};

std::vector<std::string> fixture_lines(const std::string& name) {
  std::ifstream in(std::string(IOT_FIXTURES_DIR) + "/mosquitto/" + name);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

TEST(Passwd, ReproducesMosquittoPasswdLinesByteForByteGivenTheirSalt) {
  const auto lines = fixture_lines("passwd.pbkdf2");
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& line : lines) {
    const std::string user = line.substr(0, line.find(':'));
    // user:$7$101$<salt>$<digest>
    const auto salt_start = line.find('$', line.find("$101$") + 1) + 1;
    const std::string salt_b64 = line.substr(salt_start, line.find('$', salt_start) - salt_start);
    const auto salt = core::base64_decode(salt_b64).value();
    ASSERT_EQ(salt.size(), kPasswdSaltBytes);
    EXPECT_EQ(passwd_line(user, kPasswords.at(user), salt).take(), line);
  }
}

TEST(Passwd, FixtureLinesMatchTheirPasswordsOnlyInBothFormats) {
  for (const char* file : {"passwd.pbkdf2", "passwd.sha512"}) {
    for (const auto& line : fixture_lines(file)) {
      const std::string user = line.substr(0, line.find(':'));
      EXPECT_TRUE(passwd_line_matches(line, user, kPasswords.at(user))) << file << " " << user;
      EXPECT_FALSE(passwd_line_matches(line, user, "wrong")) << file << " " << user;
      EXPECT_FALSE(passwd_line_matches(line, "someone-else", kPasswords.at(user)));
    }
  }
}

TEST(Passwd, FreshLinesHaveMosquittosShapeAndRandomSalts) {
  const auto a = passwd_line("iotdevice-m-k3x9a2b1", "s3cret").take();
  const auto b = passwd_line("iotdevice-m-k3x9a2b1", "s3cret").take();
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("iotdevice-m-k3x9a2b1:$7$101$"));
  EXPECT_EQ(a.size(), std::string("iotdevice-m-k3x9a2b1:$7$101$").size() + 16 + 1 + 88);
  EXPECT_TRUE(passwd_line_matches(a, "iotdevice-m-k3x9a2b1", "s3cret"));
  EXPECT_TRUE(passwd_line_matches(b, "iotdevice-m-k3x9a2b1", "s3cret"));
}

TEST(Passwd, RefusesNamesThatWouldBreakTheFile) {
  EXPECT_FALSE(passwd_line("a:b", "x").ok());
  EXPECT_FALSE(passwd_line("", "x").ok());
  EXPECT_FALSE(passwd_line("a\nb:$7$", "x").ok());
  EXPECT_FALSE(passwd_line("a", "x\ny").ok());
  EXPECT_FALSE(passwd_line_matches("garbage", "garbage", ""));
  EXPECT_FALSE(passwd_line_matches("u:$7$x$AAAA$AAAA", "u", ""));
}

TEST(Acl, GivesEachDeviceItsOwnTopics) {
  const auto acl =
      acl_file({{"k3x9a2b1", "iotdevice-m-k3x9a2b1", "m", "iotdevice-m-k3x9a2b1"}}).take();
  EXPECT_NE(acl.find("\nuser iotdevice-m-k3x9a2b1\n"
                     "topic write sensors/k3x9a2b1/#\n"
                     "topic write devices/k3x9a2b1/status\n"
                     "topic read commands/k3x9a2b1/#\n"
                     "topic read broadcast/#\n"
                     "topic read iotsupport/iotdevice-m-k3x9a2b1/#\n"
                     "topic read iotsupport/models/m/firmware\n"),
            std::string::npos)
      << acl;
}

TEST(Acl, RefusesIdentifiersThatCouldWidenATopic) {
  EXPECT_FALSE(acl_file({{"k3x9/#", "c", "m", "c"}}).ok());
  EXPECT_FALSE(acl_file({{"k3x9a2b1", "c+", "m", "c"}}).ok());
  EXPECT_FALSE(acl_file({{"k3x9a2b1", "c", "m", "c d"}}).ok());
}

}  // namespace
}  // namespace iotfleet::mqtt
