#include "broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/random.hpp"
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

void openssl(const fs::path& dir, const std::vector<std::string>& args) {
  RunOptions options;
  options.cwd = dir.string();
  const auto r = run("/usr/bin/openssl", args, options);
  if (r.exit_code != 0) throw std::runtime_error("openssl " + args.front() + " failed: " + r.err);
}

void make_ca(const fs::path& dir, const std::string& name) {
  openssl(dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".crt", "-days", "2", "-subj",
                "/CN=iotfleet test " + name});
}

core::Config config_of(const std::map<std::string, std::string>& env) {
  return core::Config([env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace

std::string shared_mqtt_url() {
  const char* url = std::getenv("MQTT_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "MQTT_URL is not set: the MQTT integration tests need the real Mosquitto. Run them through "
        "scripts/test.sh, or start it with: eval \"$(scripts/services.sh start)\"");
  return url;
}

std::string unique_suffix() {
  return core::random_string(10, "abcdefghijklmnopqrstuvwxyz0123456789");
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

mqtt::Settings mqtt_settings(const std::map<std::string, std::string>& env) {
  auto s = mqtt::load_settings(config_of(env));
  if (!s) throw std::runtime_error("mqtt settings: " + s.error().message);
  return *s;
}

core::Error mqtt_settings_error(const std::map<std::string, std::string>& env) {
  auto s = mqtt::load_settings(config_of(env));
  if (s) throw std::runtime_error("mqtt settings were accepted but should not be");
  return s.error();
}

PrivateBroker::PrivateBroker() {
  const fs::path dir = dir_.path();
  password_port_ = unused_port();
  do tls_port_ = unused_port();
  while (tls_port_ == password_port_);
  do cert_port_ = unused_port();
  while (cert_port_ == password_port_ || cert_port_ == tls_port_);

  make_ca(dir, "ca");
  make_ca(dir, "other-ca");
  openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "server.key", "-out", "server.csr", "-subj", "/CN=localhost"});
  std::ofstream(dir / "ext") << "subjectAltName=DNS:localhost\n";
  openssl(dir, {"x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext"});
  openssl(dir, {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                "client.key", "-out", "client.csr", "-subj", "/CN=dev-1"});
  openssl(dir, {"x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "client.crt", "-days", "2"});
  fs::copy_file(fs::path(IOT_FIXTURES_DIR) / "mosquitto" / "passwd.pbkdf2", dir / "passwd");
  std::ofstream(dir / "acl") << "user sensor_ab12\ntopic readwrite sensors/sensor_ab12/#\n"
                             << "user os2iot-backend\ntopic readwrite #\n";

  std::ofstream(dir / "mosquitto.conf")
      << "per_listener_settings true\n"
      << "persistence false\n"
      << "log_dest file " << (dir / "mosquitto.log").string() << "\n"
      << "listener " << password_port_ << " 127.0.0.1\n"
      << "allow_anonymous false\n"
      << "password_file " << (dir / "passwd").string() << "\n"
      << "acl_file " << (dir / "acl").string() << "\n"
      << "listener " << tls_port_ << " 127.0.0.1\n"
      << "allow_anonymous true\n"
      << "cafile " << (dir / "ca.crt").string() << "\n"
      << "certfile " << (dir / "server.crt").string() << "\n"
      << "keyfile " << (dir / "server.key").string() << "\n"
      << "listener " << cert_port_ << " 127.0.0.1\n"
      << "allow_anonymous true\n"
      << "cafile " << (dir / "ca.crt").string() << "\n"
      << "certfile " << (dir / "server.crt").string() << "\n"
      << "keyfile " << (dir / "server.key").string() << "\n"
      << "require_certificate true\n"
      << "use_identity_as_username true\n";

  // Mosquitto started as root drops to the 'mosquitto' user, which must read (and log in) here.
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("mosquitto");
    if (!user)
      throw std::runtime_error(
          "running as root but there is no 'mosquitto' user: run scripts/setup.sh");
    if (::chown(dir.c_str(), user->pw_uid, user->pw_gid) != 0)
      throw std::runtime_error("chown failed");
    for (const auto& entry : fs::directory_iterator(dir))
      if (::chown(entry.path().c_str(), user->pw_uid, user->pw_gid) != 0)
        throw std::runtime_error("chown failed");
  }

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
  while (!(accepts(password_port_) && accepts(tls_port_) && accepts(cert_port_))) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mosquitto exited at start: " + slurp(dir / "stdout.log") +
                               slurp(dir / "mosquitto.log"));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      throw std::runtime_error("mosquitto did not listen within 10 s: " +
                               slurp(dir / "mosquitto.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

PrivateBroker::~PrivateBroker() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

}  // namespace iotfleet::test_support
