#pragma once
// Firmware per device model: validated uploads into content-addressed storage, the version
// history, and which version devices get (the pinned one, else the newest upload). Every change
// is audited; changes to what devices get are announced through a Notifier after commit.

#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "fleet/models.hpp"
#include "store/firmware.hpp"

namespace iotfleet::firmware {

/// Told after a commit that changed which version a model's devices get.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual core::Status firmware_changed(const store::FirmwareVersion& serving) = 0;
};

struct UploadRequest {
  std::string model_code;
  std::string file_name;  // for messages
  std::string bytes;      // a bare image or a ZIP bundle
  std::optional<std::string> notes;
  bool allow_chip_mismatch = false;
};

struct UploadResult {
  store::FirmwareVersion version;
  bool created = false;  // false: the same bytes were already uploaded as this version
  std::vector<store::FirmwareExtra> extras;
};

struct VersionEntry {
  store::FirmwareVersion version;
  bool pinned = false;
  bool serving = false;  // what devices of the model get now
  std::vector<store::FirmwareExtra> extras;
};

struct Download {
  store::FirmwareVersion version;
  std::string bytes;
};

struct ServingChange {
  std::optional<store::FirmwareVersion> before;
  store::FirmwareVersion after;
  std::optional<store::FirmwareVersion> pinned;
};

struct PruneReport {
  std::vector<std::string> removed_versions;
  std::int64_t blobs_freed = 0;
};

class Catalog {
 public:
  /// notifier may be null: then nothing is announced (devices still see changes when they poll).
  Catalog(fleet::Session& session, Notifier* notifier) : s_(session), notifier_(notifier) {}

  core::Result<UploadResult> upload(const UploadRequest& request);
  core::Result<std::vector<VersionEntry>> list(const std::string& model_code);
  core::Result<VersionEntry> show(const std::string& model_code, const std::string& version);
  /// The given version, or the one devices get now.
  core::Result<Download> download(const std::string& model_code, const std::optional<std::string>& version);
  core::Result<ServingChange> pin(const std::string& model_code, const std::string& version);
  core::Result<ServingChange> unpin(const std::string& model_code);
  /// Pins the version uploaded before the one devices get now.
  core::Result<ServingChange> rollback(const std::string& model_code);
  /// Keeps the `keep` newest versions, the pinned one and always the newest.
  core::Result<PruneReport> prune(const std::string& model_code, std::size_t keep);
  /// What devices of the model get: the pinned version, else the newest; nullopt without uploads.
  core::Result<std::optional<store::FirmwareVersion>> serving(const std::string& model_code);

  /// The warning of the last announcement that failed (the change itself was committed).
  const std::optional<core::Error>& notice_error() const { return notice_error_; }

 private:
  void announce(const store::FirmwareVersion& serving);

  fleet::Session& s_;
  Notifier* notifier_;
  std::optional<core::Error> notice_error_;
};

}  // namespace iotfleet::firmware
