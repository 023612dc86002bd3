#include "store/devices.hpp"

#include "store/database.hpp"

namespace iotfleet::store {
namespace {

std::string select_columns() {
  return "d.id, d.key, d.model_id, m.code, d.name, d.config::text, d.active, d.identity_kind, "
         "d.client_id, d.secret_sealed, d.rotation_state, d.rotation_attempts, " +
         iso_utc("d.rotation_attempt_at") + ", " + iso_utc("d.next_attempt_at") + ", " +
         iso_utc("d.secret_created_at") + ", " + iso_utc("d.last_rotation_completed_at") + ", " +
         iso_utc("d.created_at") + ", " + iso_utc("d.updated_at") + ", d.certificate_serial, " +
         iso_utc("d.certificate_not_after") + " FROM devices d JOIN device_models m ON m.id = d.model_id";
}

Device from_row(const pqxx::row& r) {
  Device d;
  d.id = r[0].as<std::int64_t>();
  d.key = r[1].as<std::string>();
  d.model_id = r[2].as<std::int64_t>();
  d.model_code = r[3].as<std::string>();
  d.name = opt_text(r[4]);
  d.config = nlohmann::json::parse(r[5].as<std::string>());
  d.active = r[6].as<bool>();
  d.identity_kind = r[7].as<std::string>();
  d.client_id = r[8].as<std::string>();
  d.secret_sealed = opt_text(r[9]);
  d.rotation_state = r[10].as<std::string>();
  d.rotation_attempts = r[11].as<int>();
  d.rotation_attempt_at = opt_text(r[12]);
  d.next_attempt_at = opt_text(r[13]);
  d.secret_created_at = r[14].as<std::string>();
  d.last_rotation_completed_at = opt_text(r[15]);
  d.created_at = r[16].as<std::string>();
  d.updated_at = r[17].as<std::string>();
  d.certificate_serial = opt_text(r[18]);
  d.certificate_not_after = opt_text(r[19]);
  return d;
}

}  // namespace

std::string text_array_literal(const std::vector<std::optional<std::string>>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> DeviceRepository::insert_batch(std::int64_t model_id,
                                                        const std::string& model_code,
                                                        const nlohmann::json& config,
                                                        const std::string& identity_kind,
                                                        const std::vector<NewDevice>& rows,
                                                        const std::string& actor) {
  std::vector<std::optional<std::string>> keys, client_ids, names, hmacs, sealed;
  for (const NewDevice& row : rows) {
    keys.emplace_back(row.key);
    client_ids.emplace_back(row.client_id);
    names.push_back(row.name);
    hmacs.push_back(row.secret_hmac ? std::optional(core::hex_encode(*row.secret_hmac)) : std::nullopt);
    sealed.push_back(row.secret_sealed);
  }
  // One statement per batch: the rows, then one audit entry per inserted row.
  const auto result = tx_.exec_params(
      "WITH input AS ("
      "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])"
      "    AS t(key, client_id, name, secret_hmac_hex, secret_sealed)"
      "), inserted AS ("
      "  INSERT INTO devices (key, model_id, name, config, identity_kind, client_id, secret_hmac,"
      "                       secret_sealed)"
      "  SELECT key, $6, name, $7::jsonb, $8, client_id, decode(secret_hmac_hex, 'hex'), secret_sealed"
      "  FROM input ON CONFLICT DO NOTHING RETURNING key"
      ") "
      "INSERT INTO audit_log (actor, action, object_kind, object_id, details) "
      "SELECT $9, 'device.create', 'device', key,"
      "       jsonb_build_object('model', $10::text, 'identity', $8::text) FROM inserted "
      "RETURNING object_id",
      text_array_literal(keys), text_array_literal(client_ids), text_array_literal(names),
      text_array_literal(hmacs), text_array_literal(sealed), model_id, config.dump(), identity_kind,
      actor, model_code);
  std::vector<std::string> inserted;
  inserted.reserve(result.size());
  for (const auto& r : result) inserted.push_back(r[0].as<std::string>());
  return inserted;
}

void DeviceRepository::set_certificate(const std::string& key, const std::string& pem,
                                       const std::string& serial, const std::string& not_after) {
  tx_.exec_params0(
      "UPDATE devices SET certificate = $2, certificate_serial = $3,"
      " certificate_not_after = $4::timestamptz, secret_created_at = now(), updated_at = now()"
      " WHERE key = $1",
      key, pem, serial, not_after);
}

std::optional<Device> DeviceRepository::find(const std::string& key, bool for_update) {
  const auto rows = tx_.exec_params("SELECT " + select_columns() + " WHERE d.key = $1" +
                                        (for_update ? " FOR UPDATE OF d" : ""),
                                    key);
  if (rows.empty()) return std::nullopt;
  return from_row(rows[0]);
}

std::vector<Device> DeviceRepository::list(const DeviceFilter& filter) {
  std::string where = " WHERE ($1::bigint IS NULL OR d.model_id = $1)"
                      " AND ($2::text IS NULL OR d.rotation_state = $2)";
  if (filter.only_inactive) where += " AND NOT d.active";
  std::vector<Device> out;
  for (const auto& r : tx_.exec_params("SELECT " + select_columns() + where + " ORDER BY m.code, d.key",
                                       filter.model_id, filter.rotation_state))
    out.push_back(from_row(r));
  return out;
}

std::vector<std::pair<std::string, nlohmann::json>> DeviceRepository::configs_of_model(std::int64_t model_id) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  for (const auto& r : tx_.exec_params("SELECT key, config::text FROM devices WHERE model_id = $1 ORDER BY key",
                                       model_id))
    out.emplace_back(r[0].as<std::string>(), nlohmann::json::parse(r[1].as<std::string>()));
  return out;
}

void DeviceRepository::set_config(std::int64_t id, const nlohmann::json& config) {
  tx_.exec_params("UPDATE devices SET config = $2::jsonb, updated_at = now() WHERE id = $1", id, config.dump());
}

void DeviceRepository::set_active(std::int64_t id, bool active) {
  tx_.exec_params("UPDATE devices SET active = $2, updated_at = now() WHERE id = $1", id, active);
}

void DeviceRepository::remove(std::int64_t id) { tx_.exec_params("DELETE FROM devices WHERE id = $1", id); }

}  // namespace iotfleet::store
