#include "mosquitto.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test_support/process.hpp"
namespace iotfleet::test_support {
namespace {

namespace fs = std::filesystem;

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void give_to_mosquitto(const fs::path& dir) {
  if (::geteuid() != 0) return;
  const passwd* user = ::getpwnam("mosquitto");
  if (!user)
    throw std::runtime_error(
        "running as root but there is no 'mosquitto' user: run scripts/setup.sh");
  if (::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0)
    throw std::runtime_error("chown failed");
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (::chown(entry.path().c_str(), user->pw_uid, user->pw_gid) != 0)
      throw std::runtime_error("chown failed: " + entry.path().string());
}

}  // namespace

Mosquitto::Mosquitto(const fs::path& dir, const std::string& config,
                     const std::vector<std::uint16_t>& ports)
    : dir_(dir) {
  std::ofstream(dir / "mosquitto.conf")
      << "per_listener_settings true\n"
      << "persistence false\n"
      << "log_type all\n"
      << "log_dest file " << (dir / "mosquitto.log").string() << "\n"
      << config;
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  // The test's own temporary directory (mkdtemp makes it 0700) must be traversable too.
  fs::permissions(dir.parent_path(), fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
  give_to_mosquitto(dir);

  const std::string conf = (dir / "mosquitto.conf").string(), out = (dir / "stdout.log").string();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    bool all = true;
    for (auto port : ports) all = all && accepts(port);
    if (all) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mosquitto exited at start: " + slurp(dir / "stdout.log") + log());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("mosquitto did not listen within 10 s: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Mosquitto::~Mosquitto() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string Mosquitto::log() const { return slurp(dir_ / "mosquitto.log"); }

std::unique_ptr<Mosquitto> start_dynsec_broker(const std::filesystem::path& dir, std::uint16_t port,
                                               const std::string& admin_password) {
  std::filesystem::create_directories(dir);
  const std::string config = (dir / "dynsec.json").string();
  const auto init = run("/usr/bin/mosquitto_ctrl", {"dynsec", "init", config, "admin", admin_password});
  if (init.exit_code != 0) throw std::runtime_error("mosquitto_ctrl dynsec init failed: " + init.err);
  return std::make_unique<Mosquitto>(
      dir,
      "listener " + std::to_string(port) + " 127.0.0.1\nallow_anonymous false\n" +
          "plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so\n" +
          "plugin_opt_config_file " + config + "\n",
      std::vector<std::uint16_t>{port});
}

}  // namespace iotfleet::test_support
