#pragma once
// The rotation columns of the devices table (shared/specs/rotation.md) and the schedule's last
// handled tick. Claims lock rows: claim_* skip rows another run holds (FOR UPDATE SKIP LOCKED),
// lock() waits for it. Times are passed in as ISO-8601 strings, so callers (and tests) decide
// what "now" is. Throws like the other repositories; translate() at the boundary.

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace iotfleet::store {

struct RotationRow {
  std::int64_t id = 0;
  std::string key;
  std::string client_id;
  std::string identity_kind;
  std::string model_code;
  bool active = true;
  std::string state;  // OK | QUEUED | PENDING | TIMEOUT
  std::optional<std::string> secret_sealed, pending_secret, previous_secret;
  std::optional<std::string> attempt_at, installed_at, next_attempt_at;  // ISO-8601 UTC
  std::int64_t installed_at_epoch = 0;  // seconds, 0 when not installed
  int attempts = 0;
  std::optional<std::string> certificate_serial;  // cert identities: the certificate installed
};

struct RotationCounts {
  std::int64_t ok = 0, queued = 0, pending = 0, timeout = 0, inactive = 0;
  std::optional<std::string> oldest_secret_created_at;  // among active devices
};

struct FailingDevice {
  std::string key;
  int attempts = 0;
  std::optional<std::string> next_attempt_at;
};

class RotationRepository {
 public:
  explicit RotationRepository(pqxx::transaction_base& tx) : tx_(tx) {}

  /// The device's row, locked until the transaction ends (waits for another holder).
  std::optional<RotationRow> lock(const std::string& key);
  /// A PENDING device whose attempt started at or before `cutoff`, oldest first, skipping rows
  /// other transactions hold and the ids in `skip`.
  std::optional<RotationRow> claim_timed_out(const std::string& cutoff,
                                             const std::vector<std::int64_t>& skip);
  /// The QUEUED device with the oldest credential, else the TIMEOUT device whose back-off ended
  /// first at or before `now`; skipping locked rows and the ids in `skip`.
  std::optional<RotationRow> claim_next_start(const std::string& now,
                                              const std::vector<std::int64_t>& skip);

  /// Serialises the start step between concurrent runs until the transaction ends, so two runs
  /// cannot both see room in the window and overfill it.
  void lock_start_window();
  std::int64_t count_pending();

  /// OK → QUEUED for every active device whose identity can rotate (certificates only when
  /// with_certificates: they need the CA); returns how many.
  std::int64_t queue_fleet(const std::string& now, bool with_certificates);
  void set_queued(std::int64_t id, const std::string& now, bool reset_failures);
  void set_ok(std::int64_t id, bool reset_failures);
  void start(std::int64_t id, const std::string& pending_sealed, const std::string& now);
  void record_installed(std::int64_t id, const std::string& now);
  void time_out(std::int64_t id, const std::string& next_attempt_at);
  void complete(std::int64_t id, const std::string& now);

  /// The schedule's last handled tick (settings 'rotation.schedule'), locked for update; the
  /// row is created empty on first use.
  std::optional<std::string> lock_last_tick();
  void set_last_tick(const std::string& tick, const std::string& expression, const std::string& zone);
  std::optional<std::string> last_tick();
  /// When the previous cycle ran (settings 'rotation.last_run'), and record this one; both in
  /// the database's clock, like the audit log's times.
  std::optional<std::string> swap_last_run();
  /// Rotations completed after `since` (from the audit log).
  std::int64_t completed_since(const std::optional<std::string>& since);

  RotationCounts counts();
  std::vector<FailingDevice> failing(int min_attempts, int limit);

 private:
  std::optional<RotationRow> one(const pqxx::result& r);
  pqxx::transaction_base& tx_;
};

}  // namespace iotfleet::store
