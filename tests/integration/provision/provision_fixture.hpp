#pragma once
// Runs the executables against a fresh migrated database per test.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support/database.hpp"
#include "test_support/process.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {

class ProvisionTest : public ::testing::Test {
 protected:
  ProvisionTest();

  /// iot-provision ARGS with this test's database and secrets (extra env overrides).
  RunResult provision(const std::vector<std::string>& args, RunOptions options = {});
  /// iot-firmware ARGS with the same environment.
  RunResult firmware(const std::vector<std::string>& args, RunOptions options = {});
  /// Any built executable with this test's environment.
  RunResult tool(const std::string& name, const std::vector<std::string>& args, RunOptions options = {});
  /// As provision(), but asserts exit 0 and parses stdout as JSON (adds --output json).
  nlohmann::json provision_json(std::vector<std::string> args);
  /// Creates a model and returns nothing; asserts success.
  void create_model(const std::string& code, const std::string& schema_json = "");
  /// Creates devices and returns their keys.
  std::vector<std::string> create_devices(const std::string& model, int count = 1,
                                          const std::string& config_json = "");
  std::string write_file(const std::string& name, const std::string& contents);
  std::int64_t count(const std::string& sql) { return std::stoll(db.scalar(sql)); }

  TestDatabase db;
  TempDir dir;
  std::map<std::string, std::string> env;
};

}  // namespace iotfleet::test_support
