#pragma once
// Versioned schema migrations (lib/store/migrations/NNNN_name.sql, compiled in). Applying them is
// idempotent and safe when several migrate Jobs start at once: the whole run holds a
// transaction-scoped advisory lock, and each migration is recorded in schema_migrations.

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace iotfleet::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

/// Every migration this build knows, in version order (generated at build time).
const std::vector<Migration>& all_migrations();

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // names of the migrations this run applied
};

/// Applies every migration the database lacks, in one transaction.
core::Result<MigrationReport> migrate(pqxx::connection& conn);

/// The schema version the database is at (0 when never migrated).
core::Result<int> schema_version(pqxx::connection& conn);

/// Fails with a hint to run migrate unless the database is at exactly this build's version.
core::Status require_current_schema(pqxx::connection& conn);

}  // namespace iotfleet::store
