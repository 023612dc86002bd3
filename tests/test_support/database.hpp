#pragma once
// A fresh, migrated PostgreSQL database per test, on the real server that scripts/services.sh
// started (IOT_TEST_PG_ADMIN_URL). Without that server the test fails: it never skips.

#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace iotfleet::test_support {

class TestDatabase {
 public:
  /// Creates the database; migrates it unless told not to.
  explicit TestDatabase(bool migrate = true);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  /// A connection of the test's own, for checking what the executables wrote.
  pqxx::connection& conn();
  /// Runs one query and returns the first column of the first row as text ("" for NULL).
  std::string scalar(const std::string& sql);

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace iotfleet::test_support
