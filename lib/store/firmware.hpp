#pragma once
// firmware_images (content-addressed blobs), firmware_versions (per-model history),
// firmware_extras (bundle files) and the per-model pin.

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/encoding.hpp"

namespace iotfleet::store {

struct FirmwareVersion {
  std::int64_t id = 0;
  std::int64_t model_id = 0;
  std::string model_code;
  std::string version;
  std::string sha256;  // hex
  std::int64_t size = 0;
  std::string chip;
  std::optional<std::string> idf_version;
  std::optional<std::string> project_name;
  std::optional<std::string> notes;
  std::string uploaded_by;
  std::string uploaded_at;
};

struct FirmwareExtra {
  std::string name;
  std::string sha256;  // hex
  std::int64_t size = 0;
};

struct NewFirmwareVersion {
  std::string version;
  std::string sha256;  // hex
  std::int64_t size = 0;
  std::string chip;
  std::optional<std::string> idf_version;
  std::optional<std::string> project_name;
  std::optional<std::string> notes;
  std::string uploaded_by;
};

class FirmwareRepository {
 public:
  explicit FirmwareRepository(pqxx::transaction_base& tx) : tx_(tx) {}

  /// Stores bytes under their SHA-256 (hex) unless already there; true if newly stored.
  bool put_blob(const std::string& sha256_hex, const std::string& bytes);
  std::optional<std::string> blob(const std::string& sha256_hex);

  FirmwareVersion insert_version(std::int64_t model_id, const NewFirmwareVersion& v);
  void insert_extra(std::int64_t version_id, const FirmwareExtra& extra);
  std::optional<FirmwareVersion> find_version(std::int64_t model_id, const std::string& version);
  std::optional<FirmwareVersion> find_version_by_id(std::int64_t id);
  /// Newest first (upload order).
  std::vector<FirmwareVersion> list_versions(std::int64_t model_id);
  std::vector<FirmwareExtra> extras(std::int64_t version_id);

  std::optional<std::int64_t> pinned_version_id(std::int64_t model_id);
  void set_pin(std::int64_t model_id, std::optional<std::int64_t> version_id);

  void delete_version(std::int64_t id);
  /// Removes blobs no version or extra refers to any more; returns how many.
  std::int64_t delete_orphan_blobs();

 private:
  pqxx::transaction_base& tx_;
};

}  // namespace iotfleet::store
