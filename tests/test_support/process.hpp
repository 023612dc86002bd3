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

/// Starts program with options' environment and working directory, standard input from in_path
/// and output into out_path / err_path (created 0600); returns its pid. run() waits for it;
/// long-running services are waited for by their owner.
int spawn(const std::string& program, const std::vector<std::string>& args, const RunOptions& options,
          const std::string& in_path, const std::string& out_path, const std::string& err_path);

/// A wait status as a shell shows it: the exit code, or 128 + the signal.
int exit_code_of(int wait_status);

/// A whole file ("" when it cannot be read).
std::string read_text(const std::string& path);

/// The path of a built executable ("iot-provision" → build/bin/iot-provision).
std::string bin(const std::string& name);

}  // namespace iotfleet::test_support
