#pragma once
// The device core's Storage port (NVS on the ESP32) as files: one JSON object of strings per
// namespace, DIR/<ns>.json, written atomically (temporary file, fsync, rename) and 0600, since
// "prov" holds the device's credential. Survives the simulator's restarts, like flash.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "iot_device/ports.hpp"

namespace iotfleet::devsim {

class FileStorage final : public iot_device::Storage {
 public:
  /// NVS limits: keys of at most 15 bytes, namespaces too.
  static constexpr std::size_t kMaxKey = 15;

  explicit FileStorage(std::filesystem::path dir);

  int read(std::string_view ns, std::string_view key, char* out, std::size_t cap) override;
  bool write(std::string_view ns, std::string_view key, std::string_view value) override;
  bool erase(std::string_view ns, std::string_view key) override;

  /// Whether the namespace has a file yet.
  bool has(std::string_view ns) const;
  /// A value, for the simulator and tests (nullopt when absent or unreadable).
  std::optional<std::string> get(std::string_view ns, std::string_view key);
  /// Writes a whole namespace at once (seeding "prov" from a provisioning package).
  core::Status replace(std::string_view ns, const std::map<std::string, std::string>& values);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  using Namespace = std::map<std::string, std::string, std::less<>>;
  Namespace* load(std::string_view ns);
  bool save(std::string_view ns, const Namespace& values);
  std::filesystem::path file(std::string_view ns) const;

  std::filesystem::path dir_;
  std::map<std::string, Namespace, std::less<>> cache_;
};

}  // namespace iotfleet::devsim
