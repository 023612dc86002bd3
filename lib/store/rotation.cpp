#include "store/rotation.hpp"

#include "store/database.hpp"

namespace iotfleet::store {
namespace {

std::string row_columns() {
  return "d.id, d.key, d.client_id, d.identity_kind, m.code, d.active, d.rotation_state, "
         "d.secret_sealed, d.pending_secret, d.previous_secret, " +
         iso_utc("d.rotation_attempt_at") + ", " + iso_utc("d.rotation_installed_at") + ", " +
         iso_utc("d.next_attempt_at") +
         ", coalesce(extract(epoch FROM d.rotation_installed_at)::bigint, 0), d.rotation_attempts, "
         "d.certificate_serial";
}

std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

}  // namespace

std::optional<RotationRow> RotationRepository::one(const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  const auto& f = r[0];
  RotationRow row;
  row.id = f[0].as<std::int64_t>();
  row.key = f[1].as<std::string>();
  row.client_id = f[2].as<std::string>();
  row.identity_kind = f[3].as<std::string>();
  row.model_code = f[4].as<std::string>();
  row.active = f[5].as<bool>();
  row.state = f[6].as<std::string>();
  row.secret_sealed = opt_text(f[7]);
  row.pending_secret = opt_text(f[8]);
  row.previous_secret = opt_text(f[9]);
  row.attempt_at = opt_text(f[10]);
  row.installed_at = opt_text(f[11]);
  row.next_attempt_at = opt_text(f[12]);
  row.installed_at_epoch = f[13].as<std::int64_t>();
  row.attempts = f[14].as<int>();
  row.certificate_serial = opt_text(f[15]);
  return row;
}

std::optional<RotationRow> RotationRepository::lock(const std::string& key) {
  return one(tx_.exec_params("SELECT " + row_columns() +
                                 " FROM devices d JOIN device_models m ON m.id = d.model_id "
                                 "WHERE d.key = $1 FOR UPDATE OF d",
                             key));
}

// Both claims walk a partial index (devices_pending_idx, devices_queued_idx, devices_timeout_idx)
// and stop at the first unlocked row: no scan of the fleet.
std::optional<RotationRow> RotationRepository::claim_timed_out(const std::string& cutoff,
                                                               const std::vector<std::int64_t>& skip) {
  return one(tx_.exec_params(
      "SELECT " + row_columns() +
          " FROM devices d JOIN device_models m ON m.id = d.model_id "
          "WHERE d.rotation_state = 'PENDING' AND d.rotation_attempt_at <= $1::timestamptz "
          "AND d.id <> ALL($2::bigint[]) "
          "ORDER BY d.rotation_attempt_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED",
      cutoff, id_array(skip)));
}

std::optional<RotationRow> RotationRepository::claim_next_start(const std::string& now,
                                                                const std::vector<std::int64_t>& skip) {
  auto queued = one(tx_.exec_params(
      "SELECT " + row_columns() +
          " FROM devices d JOIN device_models m ON m.id = d.model_id "
          "WHERE d.rotation_state = 'QUEUED' AND d.id <> ALL($1::bigint[]) "
          "ORDER BY d.secret_created_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED",
      id_array(skip)));
  if (queued) return queued;
  return one(tx_.exec_params(
      "SELECT " + row_columns() +
          " FROM devices d JOIN device_models m ON m.id = d.model_id "
          "WHERE d.rotation_state = 'TIMEOUT' AND d.next_attempt_at <= $1::timestamptz "
          "AND d.id <> ALL($2::bigint[]) "
          "ORDER BY d.next_attempt_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED",
      now, id_array(skip)));
}

void RotationRepository::lock_start_window() {
  tx_.exec("SELECT pg_advisory_xact_lock(hashtext('iotfleet.rotation.start'))");
}

std::int64_t RotationRepository::count_pending() {
  return tx_.exec1("SELECT count(*) FROM devices WHERE rotation_state = 'PENDING'")[0]
      .as<std::int64_t>();
}

std::int64_t RotationRepository::queue_fleet(const std::string& now, bool with_certificates) {
  return tx_
      .exec_params(
          "UPDATE devices SET rotation_state = 'QUEUED', rotation_queued_at = $1::timestamptz, "
          "updated_at = now() "
          "WHERE rotation_state = 'OK' AND active "
          "AND (identity_kind IN ('local', 'keycloak') OR ($2::boolean AND identity_kind = 'cert'))",
          now, with_certificates)
      .affected_rows();
}

void RotationRepository::set_queued(std::int64_t id, const std::string& now, bool reset_failures) {
  tx_.exec_params0(
      "UPDATE devices SET rotation_state = 'QUEUED', rotation_queued_at = $2::timestamptz, "
      "rotation_attempts = CASE WHEN $3::boolean THEN 0 ELSE rotation_attempts END, "
      "next_attempt_at = CASE WHEN $3::boolean THEN NULL ELSE next_attempt_at END, updated_at = now() "
      "WHERE id = $1",
      id, now, reset_failures);
}

void RotationRepository::set_ok(std::int64_t id, bool reset_failures) {
  tx_.exec_params0(
      "UPDATE devices SET rotation_state = 'OK', rotation_queued_at = NULL, "
      "rotation_attempts = CASE WHEN $2::boolean THEN 0 ELSE rotation_attempts END, "
      "next_attempt_at = CASE WHEN $2::boolean THEN NULL ELSE next_attempt_at END, updated_at = now() "
      "WHERE id = $1",
      id, reset_failures);
}

void RotationRepository::start(std::int64_t id, const std::string& pending_sealed,
                               const std::string& now) {
  tx_.exec_params0(
      "UPDATE devices SET rotation_state = 'PENDING', pending_secret = $2, "
      "previous_secret = secret_sealed, rotation_attempt_at = $3::timestamptz, "
      "rotation_installed_at = NULL, updated_at = now() WHERE id = $1",
      id, pending_sealed, now);
}

void RotationRepository::record_installed(std::int64_t id, const std::string& now) {
  tx_.exec_params0(
      "UPDATE devices SET rotation_installed_at = $2::timestamptz, updated_at = now() "
      "WHERE id = $1 AND rotation_installed_at IS NULL",
      id, now);
}

void RotationRepository::time_out(std::int64_t id, const std::string& next_attempt_at) {
  tx_.exec_params0(
      "UPDATE devices SET rotation_state = 'TIMEOUT', rotation_attempts = rotation_attempts + 1, "
      "next_attempt_at = $2::timestamptz, pending_secret = NULL, previous_secret = NULL, "
      "rotation_installed_at = NULL, updated_at = now() WHERE id = $1",
      id, next_attempt_at);
}

void RotationRepository::complete(std::int64_t id, const std::string& now) {
  tx_.exec_params0(
      // A certificate credential holds the device's private key: it leaves with the rotation.
      "UPDATE devices SET rotation_state = 'OK', "
      "secret_sealed = CASE WHEN identity_kind = 'cert' THEN NULL ELSE pending_secret END, "
      "pending_secret = NULL, previous_secret = NULL, rotation_queued_at = NULL, "
      "rotation_installed_at = NULL, rotation_attempts = 0, next_attempt_at = NULL, "
      "secret_created_at = $2::timestamptz, last_rotation_completed_at = $2::timestamptz, "
      "updated_at = now() WHERE id = $1",
      id, now);
}

std::optional<std::string> RotationRepository::lock_last_tick() {
  tx_.exec0(
      "INSERT INTO settings (key, value) VALUES ('rotation.schedule', '{}'::jsonb) "
      "ON CONFLICT (key) DO NOTHING");
  auto r = tx_.exec1(
      "SELECT value->>'last_tick' FROM settings WHERE key = 'rotation.schedule' FOR UPDATE");
  return opt_text(r[0]);
}

void RotationRepository::set_last_tick(const std::string& tick, const std::string& expression,
                                       const std::string& zone) {
  tx_.exec_params0(
      "UPDATE settings SET value = jsonb_build_object('last_tick', $1::text, 'cron', $2::text, "
      "'tz', $3::text), updated_at = now() WHERE key = 'rotation.schedule'",
      tick, expression, zone);
}

std::optional<std::string> RotationRepository::last_tick() {
  auto r = tx_.exec("SELECT value->>'last_tick' FROM settings WHERE key = 'rotation.schedule'");
  if (r.empty()) return std::nullopt;
  return opt_text(r[0][0]);
}

std::optional<std::string> RotationRepository::swap_last_run() {
  auto r = tx_.exec(
      "WITH previous AS (SELECT value->>'at' AS at FROM settings WHERE key = 'rotation.last_run' "
      "                  FOR UPDATE), "
      "     upsert AS (INSERT INTO settings (key, value) VALUES "
      "                ('rotation.last_run', jsonb_build_object('at', now())) "
      "                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()) "
      "SELECT at FROM previous");
  if (r.empty()) return std::nullopt;
  return opt_text(r[0][0]);
}

std::int64_t RotationRepository::completed_since(const std::optional<std::string>& since) {
  if (!since) return 0;
  return tx_
      .exec_params1("SELECT count(*) FROM audit_log WHERE at > $1::timestamptz "
                    "AND action = 'rotation.complete'",
                    *since)[0]
      .as<std::int64_t>();
}

RotationCounts RotationRepository::counts() {
  RotationCounts c;
  for (const auto& row : tx_.exec(
           "SELECT rotation_state, active, count(*) FROM devices GROUP BY rotation_state, active")) {
    const auto state = row[0].as<std::string>();
    const auto n = row[2].as<std::int64_t>();
    if (!row[1].as<bool>()) c.inactive += n;
    if (state == "OK") c.ok += n;
    else if (state == "QUEUED") c.queued += n;
    else if (state == "PENDING") c.pending += n;
    else if (state == "TIMEOUT") c.timeout += n;
  }
  c.oldest_secret_created_at = opt_text(tx_.exec1(
      "SELECT " + iso_utc("min(secret_created_at)") + " FROM devices WHERE active")[0]);
  return c;
}

std::vector<FailingDevice> RotationRepository::failing(int min_attempts, int limit) {
  std::vector<FailingDevice> out;
  for (const auto& r : tx_.exec_params(
           "SELECT key, rotation_attempts, " + iso_utc("next_attempt_at") +
               " FROM devices WHERE rotation_state = 'TIMEOUT' AND rotation_attempts >= $1 "
               "ORDER BY rotation_attempts DESC, key LIMIT $2",
           min_attempts, limit))
    out.push_back({r[0].as<std::string>(), r[1].as<int>(), opt_text(r[2])});
  return out;
}

}  // namespace iotfleet::store
