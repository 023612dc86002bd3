#include "e2e/background.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "test_support/process.hpp"

namespace iotfleet::test_support {

Background::Background(const std::string& program, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& extra,
                       const std::vector<std::string>& unset, std::string out_file,
                       std::string err_file)
    : out_file_(std::move(out_file)), err_file_(std::move(err_file)) {
  RunOptions options;
  options.env = extra;
  options.unset = unset;
  pid_ = spawn(program, args, options, "/dev/null", out_file_, err_file_);
}

Background::~Background() {
  if (pid_ > 0) stop(std::chrono::seconds(5));
}

bool Background::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = exit_code_of(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int Background::stop(std::chrono::milliseconds timeout) {
  if (!running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (!running()) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = -1;
  return exit_code_;
}

std::string Background::out() const { return read_text(out_file_); }
std::string Background::err() const { return read_text(err_file_); }

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace iotfleet::test_support
