#include "store/migrations.hpp"

#include "store/database.hpp"

namespace iotfleet::store {
namespace {

// An arbitrary constant shared by every toolkit process: "iotfleet" in ASCII.
constexpr long long kMigrationLockId = 0x696f74666c656574LL;

int latest_known() { return all_migrations().empty() ? 0 : all_migrations().back().version; }

int read_version(pqxx::transaction_base& tx) {
  const auto exists = tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists[0].as<bool>()) return 0;
  return tx.exec1("SELECT coalesce(max(version), 0) FROM schema_migrations")[0].as<int>();
}

}  // namespace

core::Result<MigrationReport> migrate(pqxx::connection& conn) {
  return in_transaction(conn, "schema migration", [](pqxx::work& tx) {
    // Serialises concurrent migrate runs; released at commit or rollback.
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockId);
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    MigrationReport report;
    report.from_version = read_version(tx);
    if (report.from_version > latest_known())
      throw core::Failure(core::Error::conflict(
          "the database is at schema version " + std::to_string(report.from_version) +
              ", newer than this build knows (" + std::to_string(latest_known()) + ")",
          "upgrade the toolkit before migrating"));
    for (const Migration& m : all_migrations()) {
      if (m.version <= report.from_version) continue;
      tx.exec0(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name);
      report.applied.push_back(m.name);
    }
    report.to_version = std::max(report.from_version, latest_known());
    return report;
  });
}

core::Result<int> schema_version(pqxx::connection& conn) {
  try {
    pqxx::read_transaction tx(conn);
    return read_version(tx);
  } catch (const std::exception& e) {
    return translate(e, "reading the schema version");
  }
}

core::Status require_current_schema(pqxx::connection& conn) {
  auto version = schema_version(conn);
  if (!version) return version.error();
  if (*version == latest_known()) return core::ok_status();
  if (*version < latest_known())
    return core::Error::failure("the database schema is at version " + std::to_string(*version) +
                                    "; this build needs version " + std::to_string(latest_known()),
                                "run 'iot-provision migrate'");
  return core::Error::failure("the database schema (version " + std::to_string(*version) +
                                  ") is newer than this build (version " +
                                  std::to_string(latest_known()) + ")",
                              "upgrade the toolkit");
}

}  // namespace iotfleet::store
