#include "store/models.hpp"

#include "core/error.hpp"
#include "store/database.hpp"

namespace iotfleet::store {
namespace {

std::string select_columns() {
  return "m.id, m.code, m.name, m.config_schema::text, "
         "(SELECT count(*) FROM devices d WHERE d.model_id = m.id), " +
         iso_utc("m.created_at") + ", " + iso_utc("m.updated_at");
}

DeviceModel from_row(const pqxx::row& r) {
  DeviceModel m;
  m.id = r[0].as<std::int64_t>();
  m.code = r[1].as<std::string>();
  m.name = r[2].as<std::string>();
  if (!r[3].is_null()) m.config_schema = nlohmann::json::parse(r[3].as<std::string>());
  m.device_count = r[4].as<std::int64_t>();
  m.created_at = r[5].as<std::string>();
  m.updated_at = r[6].as<std::string>();
  return m;
}

std::optional<std::string> schema_text(const std::optional<nlohmann::json>& schema) {
  if (!schema) return std::nullopt;
  return schema->dump();
}

}  // namespace

std::optional<DeviceModel> ModelRepository::find(const std::string& code, bool for_update) {
  const auto rows = tx_.exec_params("SELECT " + select_columns() +
                                        " FROM device_models m WHERE m.code = $1" +
                                        (for_update ? " FOR UPDATE OF m" : ""),
                                    code);
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::vector<DeviceModel> ModelRepository::list() {
  std::vector<DeviceModel> out;
  for (const auto& r : tx_.exec("SELECT " + select_columns() + " FROM device_models m ORDER BY m.code"))
    out.push_back(from_row(r));
  return out;
}

DeviceModel ModelRepository::insert(const std::string& code, const std::string& name,
                                    const std::optional<nlohmann::json>& config_schema) {
  const auto rows = tx_.exec_params(
      "INSERT INTO device_models (code, name, config_schema) VALUES ($1, $2, $3::jsonb) "
      "ON CONFLICT (code) DO NOTHING RETURNING id",
      code, name, schema_text(config_schema));
  if (rows.empty())
    throw core::Failure(core::Error::conflict("device model '" + code + "' already exists"));
  return *find(code);
}

void ModelRepository::update(std::int64_t id, const std::optional<std::string>& name,
                             const std::optional<std::optional<nlohmann::json>>& config_schema) {
  if (name) tx_.exec_params("UPDATE device_models SET name = $2, updated_at = now() WHERE id = $1", id, *name);
  if (config_schema)
    tx_.exec_params("UPDATE device_models SET config_schema = $2::jsonb, updated_at = now() WHERE id = $1",
                    id, schema_text(*config_schema));
}

void ModelRepository::remove(std::int64_t id) {
  tx_.exec_params("DELETE FROM device_models WHERE id = $1", id);
}

std::int64_t ModelRepository::count_devices(std::int64_t id) {
  return tx_.exec_params1("SELECT count(*) FROM devices WHERE model_id = $1", id)[0].as<std::int64_t>();
}

}  // namespace iotfleet::store
