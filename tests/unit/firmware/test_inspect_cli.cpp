// Runs the built iot-firmware executable as a user would: exit codes, stdout, stderr.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(IOT_FIXTURES_DIR) / "esp32";

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class InspectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
    tmp_ = fs::temp_directory_path() /
           ("iot-firmware-test-" + std::to_string(::getpid()) + "-" + t->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  Outcome run(const std::string& args) {
    const fs::path out = tmp_ / "stdout", err = tmp_ / "stderr";
    const std::string cmd = quote(std::string(IOT_BIN_DIR) + "/iot-firmware") + " " + args + " >" +
                            quote(out.string()) + " 2>" + quote(err.string()) + " </dev/null";
    const int status = std::system(cmd.c_str());
    Outcome r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  std::string fixture(const std::string& name) { return quote((kDir / name).string()); }

  fs::path tmp_;
};

TEST_F(InspectCli, JsonOfAValidImageIsTheExpectedJson) {
  const Outcome r = run("inspect " + fixture("hello_world-esp32c3.bin") + " --output json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json::parse(slurp(kDir / "hello_world-esp32c3.expected.json")));
}

TEST_F(InspectCli, TableOutputReadsLikeEsptool) {
  const Outcome r = run("inspect " + fixture("hello_world-esp32c2.bin"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Detected image type: ESP32-C2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Flash freq: 60m\n"), std::string::npos);
  EXPECT_NE(r.out.find("Checksum: 0xbb (valid)\n"), std::string::npos);
  EXPECT_NE(r.out.find("App version: v1.4.1-2-g0296947-dirty\n"), std::string::npos);
}

TEST_F(InspectCli, DamagedImageIsReportedThenRefused) {
  const Outcome r = run("inspect " + fixture("corrupt-flipped-byte.bin") + " -o json");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out),
            nlohmann::json::parse(slurp(kDir / "corrupt-flipped-byte.expected.json")));
  EXPECT_EQ(r.err.rfind("iot-firmware: error: " + (kDir / "corrupt-flipped-byte.bin").string() +
                            ": checksum mismatch: stored 0xbb, computed 0x44; SHA-256 mismatch",
                        0),
            0u)
      << r.err;
}

TEST_F(InspectCli, UnreadableImagesFailWithoutAReport) {
  for (const auto& [name, reason] :
       {std::pair{"corrupt-bad-magic.bin", "bad magic 0x00 (expected 0xE9)"},
        std::pair{"corrupt-segcount-ff.bin", "segment count 255 out of range (at most 16)"},
        std::pair{"corrupt-truncated.bin", "truncated at offset 26912 ("}}) {
    SCOPED_TRACE(name);
    const Outcome r = run("inspect " + fixture(name) + " --output json");
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(std::string(name) + ": " + reason), std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind("iot-firmware: error: ", 0), 0u) << r.err;
  }
}

TEST_F(InspectCli, MissingFileExitsThree) {
  const Outcome r = run("inspect " + quote((tmp_ / "absent.bin").string()));
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("absent.bin"), std::string::npos) << r.err;
}

TEST_F(InspectCli, StandardInput) {
  const std::string cmd = quote(std::string(IOT_BIN_DIR) + "/iot-firmware") +
                          " inspect - -o json <" + fixture("hello_world-esp32h2.bin") + " >" +
                          quote((tmp_ / "out").string());
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto j = nlohmann::json::parse(slurp(tmp_ / "out"));
  EXPECT_EQ(j["file"], "-");
  EXPECT_EQ(j["chip"], "ESP32-H2");
  EXPECT_EQ(j["flash_freq"], "48m");
}

TEST_F(InspectCli, UsageErrors) {
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("inspect").code, 2);
  EXPECT_EQ(run("inspect " + fixture("hello_world-esp32.bin") + " --output yaml").code, 2);
  const Outcome typo = run("inspekt x.bin");
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("did you mean 'inspect'"), std::string::npos) << typo.err;
  const Outcome help = run("inspect --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--output"), std::string::npos);
}

}  // namespace
