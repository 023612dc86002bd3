#include "store/firmware.hpp"

#include "store/database.hpp"

namespace iotfleet::store {
namespace {

std::string version_columns() {
  return "v.id, v.model_id, m.code, v.version, encode(v.sha256, 'hex'), v.size, v.chip, v.idf_version, "
         "v.project_name, v.notes, v.uploaded_by, " +
         iso_utc("v.uploaded_at") + " FROM firmware_versions v JOIN device_models m ON m.id = v.model_id";
}

FirmwareVersion from_row(const pqxx::row& r) {
  FirmwareVersion v;
  v.id = r[0].as<std::int64_t>();
  v.model_id = r[1].as<std::int64_t>();
  v.model_code = r[2].as<std::string>();
  v.version = r[3].as<std::string>();
  v.sha256 = r[4].as<std::string>();
  v.size = r[5].as<std::int64_t>();
  v.chip = r[6].as<std::string>();
  v.idf_version = opt_text(r[7]);
  v.project_name = opt_text(r[8]);
  v.notes = opt_text(r[9]);
  v.uploaded_by = r[10].as<std::string>();
  v.uploaded_at = r[11].as<std::string>();
  return v;
}

}  // namespace

bool FirmwareRepository::put_blob(const std::string& sha256_hex, const std::string& bytes) {
  const pqxx::binarystring data(bytes.data(), bytes.size());
  const auto r = tx_.exec_params(
      "INSERT INTO firmware_images (sha256, size, data) VALUES (decode($1, 'hex'), $2, $3) "
      "ON CONFLICT (sha256) DO NOTHING RETURNING 1",
      sha256_hex, static_cast<std::int64_t>(bytes.size()), data);
  return !r.empty();
}

std::optional<std::string> FirmwareRepository::blob(const std::string& sha256_hex) {
  const auto r = tx_.exec_params("SELECT data FROM firmware_images WHERE sha256 = decode($1, 'hex')", sha256_hex);
  if (r.empty()) return std::nullopt;
  const pqxx::binarystring data(r[0][0]);
  return data.str();
}

FirmwareVersion FirmwareRepository::insert_version(std::int64_t model_id, const NewFirmwareVersion& v) {
  const auto id = tx_.exec_params1(
                         "INSERT INTO firmware_versions (model_id, version, sha256, size, chip, idf_version, "
                         "project_name, notes, uploaded_by) "
                         "VALUES ($1, $2, decode($3, 'hex'), $4, $5, $6, $7, $8, $9) RETURNING id",
                         model_id, v.version, v.sha256, v.size, v.chip, v.idf_version, v.project_name, v.notes,
                         v.uploaded_by)[0]
                      .as<std::int64_t>();
  return *find_version_by_id(id);
}

void FirmwareRepository::insert_extra(std::int64_t version_id, const FirmwareExtra& extra) {
  tx_.exec_params(
      "INSERT INTO firmware_extras (version_id, name, sha256, size) VALUES ($1, $2, decode($3, 'hex'), $4)",
      version_id, extra.name, extra.sha256, extra.size);
}

std::optional<FirmwareVersion> FirmwareRepository::find_version(std::int64_t model_id, const std::string& version) {
  const auto r = tx_.exec_params("SELECT " + version_columns() + " WHERE v.model_id = $1 AND v.version = $2",
                                 model_id, version);
  if (r.empty()) return std::nullopt;
  return from_row(r[0]);
}

std::optional<FirmwareVersion> FirmwareRepository::find_version_by_id(std::int64_t id) {
  const auto r = tx_.exec_params("SELECT " + version_columns() + " WHERE v.id = $1", id);
  if (r.empty()) return std::nullopt;
  return from_row(r[0]);
}

std::vector<FirmwareVersion> FirmwareRepository::list_versions(std::int64_t model_id) {
  std::vector<FirmwareVersion> out;
  for (const auto& r : tx_.exec_params("SELECT " + version_columns() + " WHERE v.model_id = $1 ORDER BY v.id DESC",
                                       model_id))
    out.push_back(from_row(r));
  return out;
}

std::vector<FirmwareExtra> FirmwareRepository::extras(std::int64_t version_id) {
  std::vector<FirmwareExtra> out;
  for (const auto& r : tx_.exec_params(
           "SELECT name, encode(sha256, 'hex'), size FROM firmware_extras WHERE version_id = $1 ORDER BY name",
           version_id))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::int64_t>()});
  return out;
}

std::optional<std::int64_t> FirmwareRepository::pinned_version_id(std::int64_t model_id) {
  const auto r = tx_.exec_params1("SELECT pinned_firmware_id FROM device_models WHERE id = $1", model_id);
  if (r[0].is_null()) return std::nullopt;
  return r[0].as<std::int64_t>();
}

void FirmwareRepository::set_pin(std::int64_t model_id, std::optional<std::int64_t> version_id) {
  tx_.exec_params("UPDATE device_models SET pinned_firmware_id = $2, updated_at = now() WHERE id = $1", model_id,
                  version_id);
}

void FirmwareRepository::delete_version(std::int64_t id) {
  tx_.exec_params("DELETE FROM firmware_versions WHERE id = $1", id);
}

std::int64_t FirmwareRepository::delete_orphan_blobs() {
  const auto r = tx_.exec(
      "DELETE FROM firmware_images i WHERE NOT EXISTS (SELECT 1 FROM firmware_versions v WHERE v.sha256 = i.sha256)"
      " AND NOT EXISTS (SELECT 1 FROM firmware_extras e WHERE e.sha256 = i.sha256)");
  return static_cast<std::int64_t>(r.affected_rows());
}

}  // namespace iotfleet::store
