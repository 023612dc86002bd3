#include "core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "core/random.hpp"

namespace iotfleet::core {
namespace fs = std::filesystem;

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  std::string data;
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    data = buffer.str();
  } else {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return Error::failure(path + ": is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::not_found(path + ": " + std::strerror(errno));
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return Error::failure(path + ": read failed");
  }
  if (data.size() > max_bytes)
    return Error::failure(path + ": larger than " + std::to_string(max_bytes) + " bytes");
  return data;
}

Status write_file(const std::string& path, std::string_view contents, fs::perms mode) {
  if (path == "-") {
    std::cout.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    std::cout.flush();
    if (!std::cout) return Error::failure("cannot write to standard output");
    return ok_status();
  }
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const fs::path temp = dir / ("." + target.filename().string() + ".tmp-" +
                               random_string(8, "abcdefghijklmnopqrstuvwxyz0123456789"));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                        static_cast<mode_t>(mode));
  if (fd < 0) return Error::failure(path + ": cannot create: " + std::strerror(errno));
  // umask may have cleared bits we asked for; set them exactly.
  ::fchmod(fd, static_cast<mode_t>(mode));
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return Error::failure(path + ": write failed: " + reason);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    return Error::failure(path + ": write failed: " + std::strerror(errno));
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    return Error::failure(path + ": cannot replace: " + reason);
  }
  return ok_status();
}

}  // namespace iotfleet::core
