#include "pki/index.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/files.hpp"

namespace iotfleet::pki {

using core::Error;

namespace {


core::Status append_line(const std::string& path, const nlohmann::json& line) {
  const std::string text = line.dump() + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error::failure(path + ": cannot open the CA index: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX) != 0) {
    ::close(fd);
    return Error::failure(path + ": cannot lock the CA index: " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      return Error::failure(path + ": cannot write the CA index: " + reason);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fdatasync(fd) == 0;
  ::close(fd);  // releases the lock
  if (!synced) return Error::failure(path + ": cannot write the CA index: " + std::strerror(errno));
  return core::ok_status();
}

}  // namespace

core::Result<std::vector<IndexEntry>> read_index(const std::string& path) {
  std::vector<IndexEntry> entries;
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return entries;
    return Error::failure(path + ": cannot read the CA index: " + std::strerror(errno));
  }
  std::map<std::string, std::size_t> by_serial;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    const auto where = path + " line " + std::to_string(number);
    if (!j.is_object() || !j.contains("event") || !j.contains("serial") || !j["serial"].is_string())
      return Error::failure(where + ": not an index entry", "repair or remove the line");
    const std::string serial = j["serial"];
    const std::string event = j.value("event", "");
    if (event == "issued") {
      IndexEntry e;
      e.serial = serial;
      e.kind = kind_from_name(j.value("kind", ""));
      e.common_name = j.value("cn", "");
      if (j.contains("device_key") && j["device_key"].is_string()) e.device_key = j["device_key"];
      e.not_before = j.value("not_before", "");
      e.not_after = j.value("not_after", "");
      e.sha256 = j.value("sha256", "");
      e.issued_at = j.value("at", "");
      by_serial[serial] = entries.size();
      entries.push_back(std::move(e));
    } else if (event == "revoked") {
      const auto it = by_serial.find(serial);
      if (it == by_serial.end())
        return Error::failure(where + ": revokes serial " + serial + ", which was never issued");
      entries[it->second].revoked_at = j.value("at", "");
      entries[it->second].revocation_reason = j.value("reason", "unspecified");
    } else {
      return Error::failure(where + ": unknown event '" + event + "'");
    }
  }
  return entries;
}

core::Status append_issued(const std::string& path, const IndexEntry& e) {
  nlohmann::json line = {{"event", "issued"},          {"serial", e.serial},
                         {"kind", kind_name(e.kind)},  {"cn", e.common_name},
                         {"not_before", e.not_before}, {"not_after", e.not_after},
                         {"sha256", e.sha256},         {"at", e.issued_at}};
  if (e.device_key) line["device_key"] = *e.device_key;
  return append_line(path, line);
}

core::Status append_revoked(const std::string& path, const std::string& serial,
                            const std::string& reason, const std::string& at) {
  return append_line(path,
                     {{"event", "revoked"}, {"serial", serial}, {"reason", reason}, {"at", at}});
}

namespace {

// Held while a CRL number is read, bumped and written back, so two `iot-cert crl` at once never
// sign two CRLs with one number (the index has its own lock for appends).
class CrlNumberLock {
 public:
  explicit CrlNumberLock(const std::string& dir)
      : fd_(::open((dir + "/crlnumber.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~CrlNumberLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  CrlNumberLock(const CrlNumberLock&) = delete;
  CrlNumberLock& operator=(const CrlNumberLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

class FileIndex final : public CertificateIndex {
 public:
  explicit FileIndex(std::string dir) : dir_(std::move(dir)), path_(dir_ + "/index.jsonl") {}

  core::Result<std::vector<IndexEntry>> entries() override { return read_index(path_); }
  core::Status record_issued(const IndexEntry& entry) override {
    return append_issued(path_, entry);
  }
  core::Status record_revoked(const std::string& serial, const std::string& reason,
                              const std::string& at) override {
    return append_revoked(path_, serial, reason, at);
  }
  core::Result<std::int64_t> next_crl_number() override {
    CrlNumberLock lock(dir_);
    if (!lock.held())
      return Error::failure(dir_ + "/crlnumber.lock: cannot lock: " + std::strerror(errno));
    const std::string number_path = dir_ + "/crlnumber";
    std::int64_t number = 0;
    if (auto text = core::read_file(number_path, 64)) {
      try {
        number = std::stoll(*text);
      } catch (const std::exception&) {
        return Error::failure(number_path + ": not a number", "repair or remove the file");
      }
    }
    ++number;
    namespace fs = std::filesystem;
    if (auto s = core::write_file(number_path, std::to_string(number) + "\n",
                                  fs::perms::owner_read | fs::perms::owner_write |
                                      fs::perms::group_read | fs::perms::others_read);
        !s)
      return s.error();
    return number;
  }
  std::string where() const override { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace

std::shared_ptr<CertificateIndex> file_index(const std::string& ca_dir) {
  return std::make_shared<FileIndex>(ca_dir);
}

}  // namespace iotfleet::pki
