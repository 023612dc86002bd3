#include "cert_fixture.hpp"

#include "core/clock.hpp"

namespace iotfleet::test_support {

RunResult CertTest::cert(const std::vector<std::string>& args, RunOptions options) const {
  for (const char* name : {"IOT_CA_DIR", "IOT_CA_PASSPHRASE_FILE", "IOT_CA_IMPORT_PASSPHRASE"})
    options.unset.emplace_back(name);
  options.env.emplace("IOT_CA_PASSPHRASE", kTestCaPassphrase);
  if (options.cwd.empty()) options.cwd = dir.path().string();
  return run(bin("iot-cert"), args, options);
}

nlohmann::json CertTest::cert_json(std::vector<std::string> args) const {
  args.push_back("--output");
  args.push_back("json");
  const auto r = cert(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << r.out << "\n" << r.err;
    return nullptr;
  }
}

RunResult CertTest::openssl(const std::vector<std::string>& args) const {
  RunOptions options;
  options.cwd = dir.path().string();
  return run("/usr/bin/openssl", args, options);
}

void CertTest::issue_expired_device(const std::string& ca_dir, const std::string& key,
                                    const std::string& out) const {
  using namespace std::chrono_literals;
  auto ca = pki::Authority::open(path(ca_dir)).take();
  ASSERT_TRUE(ca.unlock(kTestCaPassphrase).ok());
  const auto now = core::system_clock().now();
  const auto issued = ca.issue({pki::CertKind::device, key, {}, now - 10 * 24h, now - 24h},
                               pki::KeyType::ec_p256, now)
                          .take();
  ASSERT_TRUE(pki::save_issued(path(out), key, issued, ca.certificate()).ok());
}

}  // namespace iotfleet::test_support
