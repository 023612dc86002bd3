#include "store/database.hpp"

#include <regex>

namespace iotfleet::store {
namespace {

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  if (line.starts_with("ERROR:  ")) line = line.substr(8);
  return line;
}

// libpq's keyword/value form: pick a field for messages ("host=... dbname=...").
std::string conninfo_field(const std::string& url, const std::string& key) {
  const std::regex re("(?:^|\\s)" + key + "\\s*=\\s*([^\\s]+)");
  std::smatch m;
  if (std::regex_search(url, m, re)) return m[1];
  return {};
}

}  // namespace

std::string redact_url(const std::string& url) {
  // postgresql://user:password@host/db  and  ...?password=...  and  password=... (key/value)
  static const std::regex userinfo(R"(^([a-z]+://[^:/@]*):[^@]*@)");
  static const std::regex param(R"((password=)[^&\s]*)");
  std::string out = std::regex_replace(url, userinfo, "$1:***@");
  return std::regex_replace(out, param, "$1***");
}

core::Result<std::unique_ptr<pqxx::connection>> connect(const std::string& url) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const pqxx::broken_connection& e) {
    std::string where = redact_url(url);
    if (where.find("://") == std::string::npos) {
      const std::string host = conninfo_field(url, "host"), db = conninfo_field(url, "dbname");
      where = "host=" + (host.empty() ? "default" : host) + " dbname=" + (db.empty() ? "default" : db);
    }
    return core::Error::unavailable("cannot connect to PostgreSQL at " + where + ": " + first_line(e.what()),
                                    "check DATABASE_URL and that the server is running; retry is safe");
  } catch (const std::exception& e) {
    return core::Error::usage("DATABASE_URL is not a valid connection string: " + first_line(e.what()));
  }
}

core::Error translate(const std::exception& e, const std::string& what) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) || dynamic_cast<const pqxx::in_doubt_error*>(&e))
    return core::Error::unavailable("lost the connection to PostgreSQL during " + what + ": " +
                                        first_line(e.what()),
                                    "retry is safe: the transaction was rolled back");
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    if (state == "42P01" || state == "42703")
      return core::Error::failure(what + ": the database schema is missing or out of date (" +
                                      first_line(e.what()) + ")",
                                  "run 'iot-provision migrate'");
    if (state == "23505" || state == "23503")
      return core::Error::conflict(what + ": " + first_line(e.what()));
    if (state.starts_with("08") || state == "57P01" || state == "57P03")
      return core::Error::unavailable(what + ": PostgreSQL is unavailable: " + first_line(e.what()),
                                      "retry is safe");
    if (state == "40001" || state == "40P01")
      return core::Error::unavailable(what + ": " + first_line(e.what()), "retry is safe");
  }
  return core::Error::failure(what + ": " + first_line(e.what()));
}

std::string iso_utc(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

}  // namespace iotfleet::store

#include "store/migrations.hpp"

namespace iotfleet::store {

core::Result<std::unique_ptr<pqxx::connection>> open_database(const core::Config& config, bool require_schema) {
  auto url = config.require(kDatabaseUrl);
  if (!url) return url.error();
  auto conn = connect(*url);
  if (!conn) return conn.error();
  if (require_schema) {
    if (auto status = require_current_schema(**conn); !status) return status.error();
  }
  return conn;
}

}  // namespace iotfleet::store
