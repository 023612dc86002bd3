#include "http/snapshot.hpp"

#include <mutex>
#include <set>

#include "core/digest.hpp"
#include "core/encoding.hpp"

namespace iotfleet::http {

std::shared_ptr<const DeviceEntry> make_device_entry(auth::DeviceRecord record,
                                                     std::string rotation_state,
                                                     std::string config_body) {
  auto e = std::make_shared<DeviceEntry>();
  const auto digest = core::sha256(core::as_bytes(config_body));
  e->config_etag = "\"" + core::hex_encode(digest) + "\"";
  e->record = std::move(record);
  e->rotation_state = std::move(rotation_state);
  e->config_body = std::move(config_body);
  return e;
}

std::shared_ptr<const DeviceEntry> Snapshot::device(const std::string& key) const {
  std::shared_lock lock(mutex_);
  const auto it = devices_.find(key);
  return it == devices_.end() ? nullptr : it->second;
}

std::shared_ptr<const FirmwareEntry> Snapshot::firmware(const std::string& model_code) const {
  std::shared_lock lock(mutex_);
  const auto it = firmware_.find(model_code);
  return it == firmware_.end() ? nullptr : it->second;
}

void Snapshot::replace_devices(DeviceMap devices) {
  std::unique_lock lock(mutex_);
  devices_.swap(devices);
  lock.unlock();  // the old map is freed outside the lock
}

void Snapshot::replace_firmware(FirmwareMap firmware) {
  std::unique_lock lock(mutex_);
  firmware_.swap(firmware);
}

void Snapshot::put_device(const std::string& key, std::shared_ptr<const DeviceEntry> entry) {
  std::unique_lock lock(mutex_);
  if (entry)
    devices_[key] = std::move(entry);
  else
    devices_.erase(key);
}

std::shared_ptr<const std::string> Snapshot::image(const std::string& sha256) const {
  std::shared_lock lock(mutex_);
  for (const auto& [model, f] : firmware_)
    if (f->sha256 == sha256) return f->bytes;
  return nullptr;
}

std::map<std::string, std::int64_t> Snapshot::devices_by_state() const {
  std::map<std::string, std::int64_t> counts;
  std::shared_lock lock(mutex_);
  for (const auto& [key, d] : devices_) ++counts[d->rotation_state];
  return counts;
}

std::size_t Snapshot::device_count() const {
  std::shared_lock lock(mutex_);
  return devices_.size();
}

std::size_t Snapshot::image_count() const {
  std::shared_lock lock(mutex_);
  std::set<std::string> distinct;
  for (const auto& [model, f] : firmware_) distinct.insert(f->sha256);
  return distinct.size();
}

core::Result<std::optional<auth::DeviceRecord>> SnapshotDirectory::find(
    const std::string& device_key) {
  const auto entry = snapshot_.device(device_key);
  if (!entry) return std::optional<auth::DeviceRecord>();
  return std::optional(entry->record);
}

}  // namespace iotfleet::http
