#include "pki/authority.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/clock.hpp"
#include "core/files.hpp"
#include "pki/verify.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::pki {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kPass = "a long enough passphrase";
const TimePoint kNow = std::chrono::system_clock::from_time_t(1795000000);

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

class AuthorityTest : public ::testing::Test {
 protected:
  test_support::TempDir tmp;
  std::string dir = (tmp.path() / "ca").string();
  Authority make() { return Authority::init(dir, {}, kPass, kNow).take(); }
};

TEST_F(AuthorityTest, InitWritesAnEncryptedKey0600AndRefusesToOverwrite) {
  const auto ca = make();
  EXPECT_EQ(mode_of(dir + "/ca.key"), 0600u);
  EXPECT_EQ(mode_of(dir + "/ca.crt"), 0644u);
  const auto key_pem = core::read_file(dir + "/ca.key", 1 << 16).take();
  EXPECT_TRUE(key_pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  EXPECT_EQ(describe(ca.certificate()).common_name, "IoT Device CA");
  const std::string before = core::read_file(dir + "/ca.crt", 1 << 16).take();

  auto again = Authority::init(dir, {}, kPass, kNow);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(core::read_file(dir + "/ca.crt", 1 << 16).take(), before);
}

TEST_F(AuthorityTest, ShortPassphraseCreatesNothing) {
  auto r = Authority::init(dir, {}, "short", kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, core::ErrorKind::usage);
  EXPECT_FALSE(fs::exists(dir + "/ca.key"));
}

TEST_F(AuthorityTest, UnlockNeedsTheRightPassphrase) {
  make();
  auto ca = Authority::open(dir).take();
  auto wrong = ca.unlock("not the passphrase");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos);
  EXPECT_FALSE(ca.issue_device("k3x9a2b1", 365, KeyType::ec_p256, kNow).ok());
  ASSERT_TRUE(ca.unlock(kPass).ok());
  EXPECT_TRUE(ca.issue_device("k3x9a2b1", 365, KeyType::ec_p256, kNow).ok());
}

TEST_F(AuthorityTest, OpenWithoutCaIsNotFound) {
  auto r = Authority::open(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, core::ErrorKind::not_found);
}

TEST_F(AuthorityTest, IssuedCertificatesAreIndexed) {
  auto ca = make();
  const auto dev = ca.issue_device("k3x9a2b1", 365, KeyType::ec_p256, kNow).take();
  const auto srv = ca.issue_server("broker.example", {}, 825, KeyType::rsa_2048, kNow).take();
  EXPECT_EQ(srv.info.sans, std::vector<std::string>{"DNS:broker.example"});
  const auto entries = ca.entries().take();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].serial, dev.info.serial);
  EXPECT_EQ(entries[0].kind, CertKind::device);
  EXPECT_EQ(entries[0].device_key, "k3x9a2b1");
  EXPECT_EQ(entries[0].not_after, core::format_iso_utc(kNow + 365 * 24h));
  EXPECT_EQ(entries[1].kind, CertKind::server);
  EXPECT_FALSE(entries[1].device_key.has_value());
  EXPECT_FALSE(ca.issue_device("Not-A-Key", 365, KeyType::ec_p256, kNow).ok());
}

TEST_F(AuthorityTest, RevokeBySerialOrDeviceKey) {
  auto ca = make();
  const auto a = ca.issue_device("aaaaaaaa", 365, KeyType::ec_p256, kNow).take();
  ca.issue_device("bbbbbbbb", 365, KeyType::ec_p256, kNow).take();
  ca.issue_device("bbbbbbbb", 365, KeyType::ec_p256, kNow).take();

  // Serials as openssl prints them (upper case, colons) are accepted.
  std::string typed;
  for (std::size_t i = 0; i < a.info.serial.size(); ++i)
    typed += static_cast<char>(std::toupper(a.info.serial[i]));
  EXPECT_EQ(ca.revoke(typed, "keyCompromise", kNow).take().size(), 1u);
  EXPECT_EQ(ca.revoke("bbbbbbbb", "superseded", kNow).take().size(), 2u);

  auto twice = ca.revoke("bbbbbbbb", "superseded", kNow);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, core::ErrorKind::conflict);
  auto none = ca.revoke("cccccccc", "superseded", kNow);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, core::ErrorKind::not_found);
  EXPECT_FALSE(ca.revoke("aaaaaaaa", "because", kNow).ok());

  for (const auto& e : ca.entries().take()) EXPECT_TRUE(e.revoked()) << e.serial;
  EXPECT_EQ(ca.entries().take()[0].revocation_reason, "keyCompromise");
}

TEST_F(AuthorityTest, VerifyChecksChainValidityPurposeAndRevocation) {
  auto ca = make();
  const auto dev = ca.issue_device("k3x9a2b1", 30, KeyType::ec_p256, kNow).take();
  const auto srv = ca.issue_server("broker.example", {}, 30, KeyType::ec_p256, kNow).take();

  auto v = verify(dev.certificate, ca, Purpose::automatic, kNow);
  EXPECT_TRUE(v.valid) << v.reason;
  EXPECT_EQ(v.purpose, "sslclient");
  EXPECT_TRUE(verify(ca.certificate(), ca, Purpose::automatic, kNow).valid);

  v = verify(dev.certificate, ca, Purpose::automatic, kNow + 31 * 24h);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reason, "certificate has expired");

  v = verify(srv.certificate, ca, Purpose::client, kNow);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reason, "unsuitable certificate purpose");

  test_support::TempDir other_tmp;
  auto other = Authority::init((other_tmp.path() / "ca").string(), {}, kPass, kNow).take();
  v = verify(dev.certificate, other, Purpose::automatic, kNow);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reason, "unable to get local issuer certificate");

  ca.revoke("k3x9a2b1", "keyCompromise", kNow).take();
  v = verify(dev.certificate, ca, Purpose::automatic, kNow);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.reason, "certificate revoked");
}

TEST_F(AuthorityTest, SaveIssuedWritesModesAndNeverOverwrites) {
  auto ca = make();
  const auto dev = ca.issue_device("k3x9a2b1", 30, KeyType::ec_p256, kNow).take();
  const std::string out = (tmp.path() / "out").string();
  const auto files = save_issued(out, "k3x9a2b1", dev, ca.certificate()).take();
  EXPECT_EQ(mode_of(files.key), 0600u);
  EXPECT_EQ(mode_of(files.certificate), 0644u);
  EXPECT_EQ(core::read_file(files.ca, 1 << 16).take(), ca.certificate().to_pem());
  auto again = save_issued(out, "k3x9a2b1", dev, ca.certificate());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, core::ErrorKind::conflict);
  EXPECT_FALSE(check_can_save(out, "k3x9a2b1", ca.certificate()).ok());
  EXPECT_TRUE(check_can_save(out, "other", ca.certificate()).ok());
  // The CA directory itself is a fine --out: its ca.crt is the same certificate.
  EXPECT_TRUE(check_can_save(dir, "k3x9a2b1", ca.certificate()).ok());
}

TEST_F(AuthorityTest, ImportTakesOverACaAndReEncryptsItsKey) {
  auto original = make();
  const auto key_pem =
      PrivateKey::from_pem(core::read_file(dir + "/ca.key", 1 << 16).take(), kPass, "k")
          .take()
          .to_encrypted_pem("the os2iot password")
          .take();
  const std::string key_file = (tmp.path() / "os2iot.key").string();
  std::ofstream(key_file) << key_pem;
  const std::string target = (tmp.path() / "imported").string();

  auto wrong =
      Authority::import(target, dir + "/ca.crt", key_file, std::string("nope nope"), kPass);
  ASSERT_FALSE(wrong.ok());
  EXPECT_FALSE(fs::exists(target + "/ca.key"));

  auto ca = Authority::import(target, dir + "/ca.crt", key_file, std::string("the os2iot password"),
                              "new passphrase!")
                .take();
  auto reopened = Authority::open(target).take();
  ASSERT_TRUE(reopened.unlock("new passphrase!").ok());
  const auto dev = reopened.issue_device("k3x9a2b1", 30, KeyType::ec_p256, kNow).take();
  EXPECT_TRUE(verify(dev.certificate, original, Purpose::automatic, kNow).valid);

  // A leaf certificate is not a CA; a key that is not the certificate's is refused.
  const std::string leaf = (tmp.path() / "leaf.crt").string();
  std::ofstream(leaf) << dev.certificate.to_pem();
  EXPECT_FALSE(Authority::import((tmp.path() / "x").string(), leaf, key_file,
                                 std::string("the os2iot password"), kPass)
                   .ok());
  const std::string other_key = (tmp.path() / "other.key").string();
  std::ofstream(other_key) << dev.key.to_pem();
  auto mismatch = Authority::import((tmp.path() / "y").string(), dir + "/ca.crt", other_key,
                                    std::nullopt, kPass);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("is not the key of"), std::string::npos);
}

TEST(Period, ParsesDaysHoursWeeks) {
  EXPECT_EQ(parse_period("30d").take(), std::chrono::seconds(30 * 86400));
  EXPECT_EQ(parse_period("12h").take(), std::chrono::seconds(12 * 3600));
  EXPECT_EQ(parse_period("2w").take(), std::chrono::seconds(14 * 86400));
  EXPECT_EQ(parse_period("7").take(), std::chrono::seconds(7 * 86400));
  EXPECT_FALSE(parse_period("30x").ok());
  EXPECT_FALSE(parse_period("d").ok());
  EXPECT_FALSE(parse_period("-3d").ok());
}

TEST(Passphrase, FileWinsThenEnvironmentAndMissingIsUsage) {
  test_support::TempDir tmp;
  const std::string file = (tmp.path() / "pass").string();
  std::ofstream(file) << "from the file\n";
  core::Config env([](const std::string& n) -> std::optional<std::string> {
    if (n == "IOT_CA_PASSPHRASE") return "from the env";
    return std::nullopt;
  });
  EXPECT_EQ(load_passphrase(env, file).take(), "from the file");
  EXPECT_EQ(load_passphrase(env, std::nullopt).take(), "from the env");
  core::Config none([](const std::string&) { return std::nullopt; });
  auto missing = load_passphrase(none, std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, core::ErrorKind::usage);
  EXPECT_NE(missing.error().message.find("IOT_CA_PASSPHRASE"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::pki
