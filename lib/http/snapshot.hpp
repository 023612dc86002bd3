#pragma once
// What the endpoint serves, in memory: every device (its identity, rotation state and config
// body) and each model's serving firmware image. The loader (loader.hpp) fills it from
// PostgreSQL and keeps it fresh; request handlers only read it, so the database is never on the
// hot path and a database outage leaves the last data in place.
//
// Entries are immutable and shared: a reader copies a shared_ptr under a shared lock; a change
// replaces one entry (or the whole map on a full reload) under the exclusive lock.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "auth/directory.hpp"

namespace iotfleet::http {

struct DeviceEntry {
  auth::DeviceRecord record;   // key, model, client id, identity kind, active, secret HMAC
  std::string rotation_state;  // OK | QUEUED | PENDING | TIMEOUT
  std::string config_body;     // the device's config JSON, as served
  std::string config_etag;     // "\"<sha256 hex of the body>\""
};

struct FirmwareEntry {
  std::string model_code;
  std::string version;
  std::string sha256;  // hex; also the ETag (quoted)
  std::string chip;
  std::shared_ptr<const std::string> bytes;
};

using DeviceMap = std::unordered_map<std::string, std::shared_ptr<const DeviceEntry>>;
using FirmwareMap = std::unordered_map<std::string, std::shared_ptr<const FirmwareEntry>>;

/// Builds an entry (computes the ETag).
std::shared_ptr<const DeviceEntry> make_device_entry(auth::DeviceRecord record,
                                                     std::string rotation_state,
                                                     std::string config_body);

class Snapshot {
 public:
  std::shared_ptr<const DeviceEntry> device(const std::string& key) const;
  std::shared_ptr<const FirmwareEntry> firmware(const std::string& model_code) const;

  void replace_devices(DeviceMap devices);
  void replace_firmware(FirmwareMap firmware);
  /// Sets (or, with nullptr, removes) one device.
  void put_device(const std::string& key, std::shared_ptr<const DeviceEntry> entry);

  /// The image bytes already held for a SHA-256, so a reload does not fetch them again.
  std::shared_ptr<const std::string> image(const std::string& sha256) const;

  std::map<std::string, std::int64_t> devices_by_state() const;
  std::size_t device_count() const;
  std::size_t image_count() const;

 private:
  mutable std::shared_mutex mutex_;
  DeviceMap devices_;
  FirmwareMap firmware_;
};

/// auth::DeviceDirectory over the snapshot (never fails: the snapshot is always there).
class SnapshotDirectory final : public auth::DeviceDirectory {
 public:
  explicit SnapshotDirectory(const Snapshot& snapshot) : snapshot_(snapshot) {}
  core::Result<std::optional<auth::DeviceRecord>> find(const std::string& device_key) override;

 private:
  const Snapshot& snapshot_;
};

}  // namespace iotfleet::http
