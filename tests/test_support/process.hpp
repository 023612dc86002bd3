#pragma once
// Runs an executable the way a user would and captures its exit code and output.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace iotfleet::test_support {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::map<std::string, std::string> env;  // added to (and overriding) the test's environment
  std::vector<std::string> unset;           // removed from the environment
  std::optional<std::string> stdin_data;
  std::string cwd;
};

RunResult run(const std::string& program, const std::vector<std::string>& args, const RunOptions& options = {});

/// The path of a built executable ("iot-provision" → build/bin/iot-provision).
std::string bin(const std::string& name);

}  // namespace iotfleet::test_support
