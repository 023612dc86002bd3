#pragma once
// Starts tests/support/os2iot_standin.py (an OS2IoT backend stand-in: health check, login,
// organisations) on its own free port and drives its control endpoints. Without
// /usr/bin/python3 the constructor throws: a test fails, it never skips.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {

class Os2iotStandin {
 public:
  static constexpr const char* kUsername = "global-admin@os2iot.dk";

  /// password: the admin's password (the backend's default is "hunter2").
  explicit Os2iotStandin(std::string password = "bootstrap-password-for-tests");
  ~Os2iotStandin();
  Os2iotStandin(const Os2iotStandin&) = delete;
  Os2iotStandin& operator=(const Os2iotStandin&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& password() const { return password_; }

  /// GET /_standin/state: organizations, counters.
  nlohmann::json state();
  long counter(const std::string& name);
  /// POST /_standin/<what> with a JSON body; throws unless 2xx.
  void control(const std::string& what, const nlohmann::json& body = nlohmann::json::object());

  /// Kills the stand-in now; the port then refuses connections.
  void stop();

 private:
  std::string password_;
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace iotfleet::test_support
