#pragma once
// PostgreSQL access through libpqxx 6.4 (see shared/DEPENDENCIES.md for what 6.4 lacks).
// Repositories throw core::Failure; translate() turns libpqxx's exceptions into errors with
// the kinds of DESIGN.md (a lost connection is "unavailable", a unique violation "conflict").

#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"

namespace iotfleet::store {

/// DATABASE_URL: a libpq connection URI or key=value string. It may hold a password, so it is
/// an environment variable (or DATABASE_URL_FILE), never a flag.
inline constexpr core::Setting kDatabaseUrl{"", "DATABASE_URL", ""};

/// The URL with any password replaced by "***", for messages and logs.
std::string redact_url(const std::string& url);

/// Opens a connection; an unreachable server is ErrorKind::unavailable naming host and database.
core::Result<std::unique_ptr<pqxx::connection>> connect(const std::string& url);

/// Translates an exception thrown by libpqxx into an Error. `what` names the operation
/// ("create device model 'x'") so the message says what failed.
core::Error translate(const std::exception& e, const std::string& what);

/// Runs fn(tx) in a transaction and commits; any exception becomes an Error (rolled back).
template <class Fn>
auto in_transaction(pqxx::connection& conn, const std::string& what, Fn&& fn)
    -> core::Result<std::conditional_t<std::is_void_v<std::invoke_result_t<Fn, pqxx::work&>>, core::Unit,
                                        std::invoke_result_t<Fn, pqxx::work&>>> {
  using T = std::invoke_result_t<Fn, pqxx::work&>;
  try {
    pqxx::work tx(conn);
    if constexpr (std::is_void_v<T>) {
      fn(tx);
      tx.commit();
      return core::Unit{};
    } else {
      T result = fn(tx);
      tx.commit();
      return result;
    }
  } catch (const core::Failure& f) {
    return f.error();
  } catch (const std::exception& e) {
    return translate(e, what);
  }
}

/// SQL expression rendering a timestamptz column as ISO-8601 UTC ("2026-12-05T08:00:00Z").
std::string iso_utc(const std::string& column);

/// Reads an optional text field.
inline std::optional<std::string> opt_text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

}  // namespace iotfleet::store


namespace iotfleet::store {

/// Connects with DATABASE_URL from the configuration and, unless migrating, checks that the
/// schema is at this build's version.
core::Result<std::unique_ptr<pqxx::connection>> open_database(const core::Config& config,
                                                              bool require_schema = true);

}  // namespace iotfleet::store
