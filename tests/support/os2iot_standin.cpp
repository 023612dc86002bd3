#include "support/os2iot_standin.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "idp/http.hpp"

namespace iotfleet::test_support {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Os2iotStandin::Os2iotStandin(std::string password) : password_(std::move(password)) {
  const std::string port_file = (dir_.path() / "port").string(),
                    log = (dir_.path() / "log").string();
  std::vector<std::string> args = {
      "/usr/bin/python3", std::string(IOT_SOURCE_DIR) + "/tests/support/os2iot_standin.py",
      "--port-file",      port_file,
      "--username",       kUsername,
      "--password",       password_};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    execv(argv[0], argv.data());
    std::perror("exec /usr/bin/python3");
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the OS2IoT stand-in did not start: " + slurp(log));
    }
    const std::string text = slurp(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = std::stoi(text);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("the OS2IoT stand-in did not write its port within 30 s: " + slurp(log));
}

Os2iotStandin::~Os2iotStandin() { stop(); }

void Os2iotStandin::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

nlohmann::json Os2iotStandin::state() {
  idp::CurlHttpClient client;
  auto r = client.send({"GET", url() + "/_standin/state", {}, ""});
  if (!r || r->status != 200)
    throw std::runtime_error("the OS2IoT stand-in's state is unavailable");
  return nlohmann::json::parse(r->body);
}

long Os2iotStandin::counter(const std::string& name) { return state()["counters"].value(name, 0L); }

void Os2iotStandin::control(const std::string& what, const nlohmann::json& body) {
  idp::CurlHttpClient client;
  auto r = client.send(
      {"POST", url() + "/_standin/" + what, {"Content-Type: application/json"}, body.dump()});
  if (!r || r->status / 100 != 2)
    throw std::runtime_error("OS2IoT stand-in control '" + what + "' failed");
}

}  // namespace iotfleet::test_support
