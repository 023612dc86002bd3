#include "test_support/database.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "core/random.hpp"
#include "store/migrations.hpp"

namespace iotfleet::test_support {
namespace {

std::string require_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v)
    throw std::runtime_error(std::string(name) +
                             " is not set: integration tests need the real PostgreSQL. Run them "
                             "through scripts/test.sh, or start it with: eval \"$(scripts/services.sh start)\"");
  return v;
}

// postgresql://user@host:port/db → same URL with another database name.
std::string with_database(const std::string& url, const std::string& db) {
  const auto slash = url.rfind('/');
  return url.substr(0, slash + 1) + db;
}

}  // namespace

TestDatabase::TestDatabase(bool migrate) {
  admin_url_ = require_env("IOT_TEST_PG_ADMIN_URL");
  const std::string app_url = require_env("DATABASE_URL");
  name_ = "test_" + core::random_string(12, "abcdefghijklmnopqrstuvwxyz0123456789");
  {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec0("CREATE DATABASE " + name_ + " OWNER iotfleet");
  }
  url_ = with_database(app_url, name_);
  if (migrate) {
    pqxx::connection c(url_);
    auto report = store::migrate(c);
    if (!report) throw std::runtime_error("migration failed: " + report.error().message);
  }
}

TestDatabase::~TestDatabase() {
  conn_.reset();
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec0("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "could not drop " << name_ << ": " << e.what();
  }
}

pqxx::connection& TestDatabase::conn() {
  if (!conn_) conn_ = std::make_unique<pqxx::connection>(url_);
  return *conn_;
}

std::string TestDatabase::scalar(const std::string& sql) {
  pqxx::nontransaction tx(conn());
  const auto r = tx.exec1(sql);
  return r[0].is_null() ? "" : r[0].as<std::string>();
}

}  // namespace iotfleet::test_support
