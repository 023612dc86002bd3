#pragma once
// Runs iot-cert (and openssl) the way an operator does, in a temporary directory of its own,
// with the CA passphrase in IOT_CA_PASSPHRASE.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pki/authority.hpp"
#include "test_support/process.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {

inline constexpr const char* kTestCaPassphrase = "integration test passphrase";

class CertTest : public ::testing::Test {
 protected:
  /// iot-cert ARGS with IOT_CA_PASSPHRASE set (extra env overrides), cwd = the temp dir.
  RunResult cert(const std::vector<std::string>& args, RunOptions options = {}) const;
  /// As cert(), asserting exit 0 and parsing stdout (adds --output json).
  nlohmann::json cert_json(std::vector<std::string> args) const;
  /// openssl ARGS in the temp dir.
  RunResult openssl(const std::vector<std::string>& args) const;
  std::string path(const std::string& name) const { return (dir.path() / name).string(); }

  /// A device certificate already expired (issued through lib/pki, which lets a test choose the
  /// validity), saved as <out>/<key>.crt/.key.
  void issue_expired_device(const std::string& ca_dir, const std::string& key,
                            const std::string& out) const;

  TempDir dir;
};

}  // namespace iotfleet::test_support
