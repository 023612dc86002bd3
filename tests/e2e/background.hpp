#pragma once
// A long-running executable (iot-serve, iot-devsim) started for an end-to-end test: stdout and
// stderr go to files; the destructor stops it (SIGTERM, then SIGKILL).

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace iotfleet::test_support {

class Background {
 public:
  /// Starts program with args; env is added to (and overrides) the test's environment, and the
  /// names in `unset` are removed from it.
  Background(const std::string& program, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env, const std::vector<std::string>& unset,
             std::string out_file, std::string err_file);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit code (128+signal
  /// when killed, -1 when it had to be killed after the time-out).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Whether it still runs.
  bool running();
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string out_file_, err_file_;
};

/// A TCP port on 127.0.0.1 nobody listens on right now.
int free_port();

}  // namespace iotfleet::test_support
