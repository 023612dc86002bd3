// Eight `iot-rotate run` processes at once against one database (an overlapping CronJob and
// operators running it by hand): no device is started, timed out or restored twice, and the
// in-flight window is never exceeded.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "rotation/manual.hpp"
#include "rotation_fixture.hpp"
#include "test_support/process.hpp"

namespace iotfleet::test_support {
namespace {

constexpr int kRuns = 8;

class ConcurrentRuns : public RotationTest {
 protected:
  std::vector<nlohmann::json> run_all_at_once() {
    std::vector<RunResult> results(kRuns);
    std::vector<std::thread> threads;
    RunOptions options;
    options.env = {{"DATABASE_URL", db.url()},
                   {"IOT_SECRET_KEY", keyring},
                   {"IOT_SECRET_PEPPER", pepper_text},
                   {"ROTATION_MAX_IN_FLIGHT", "10"},
                   {"IOT_LOG_LEVEL", "error"}};
    options.unset = {"MQTT_URL"};
    for (int i = 0; i < kRuns; ++i)
      threads.emplace_back([&, i] { results[i] = test_support::run(bin("iot-rotate"), {"run"}, options); });
    for (auto& t : threads) t.join();
    std::vector<nlohmann::json> summaries;
    for (const auto& r : results) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
      summaries.push_back(nlohmann::json::parse(r.out));
    }
    return summaries;
  }
  static std::int64_t total(const std::vector<nlohmann::json>& summaries, const char* field) {
    std::int64_t n = 0;
    for (const auto& s : summaries) n += s[field].get<std::int64_t>();
    return n;
  }
  std::int64_t count(const std::string& sql) { return std::stoll(db.scalar(sql)); }
};

TEST_F(ConcurrentRuns, NeverStartTimeOutOrRestoreADeviceTwice) {
  create_devices(40);
  ASSERT_EQ(rotation::trigger_fleet(db.conn(), "test", clock.now()).value(), 40);

  auto first = run_all_at_once();
  EXPECT_EQ(total(first, "started"), 10) << "the window is 10, however many runs share it";
  EXPECT_EQ(count("SELECT count(*) FROM devices WHERE rotation_state = 'PENDING'"), 10);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rotation.start'"), 10);
  EXPECT_EQ(count("SELECT count(DISTINCT object_id) FROM audit_log WHERE action = 'rotation.start'"), 10);

  // Half of the started devices fetched their new credential; then every attempt ran out of time.
  std::vector<std::pair<std::string, std::string>> old_secrets;
  pqxx::nontransaction tx(db.conn());
  std::vector<std::string> pending;
  for (const auto& row : tx.exec("SELECT key FROM devices WHERE rotation_state = 'PENDING' ORDER BY key"))
    pending.push_back(row[0].as<std::string>());
  tx.commit();
  for (std::size_t i = 0; i < pending.size(); ++i) {
    old_secrets.emplace_back(pending[i], current_secret(pending[i]));
    if (i % 2 == 0) {
      ASSERT_TRUE(provisioning(pending[i]));
    }
  }
  db.scalar("WITH u AS (UPDATE devices SET rotation_attempt_at = now() - interval '1 hour' "
            "WHERE rotation_state = 'PENDING' RETURNING 1) SELECT count(*) FROM u");

  auto second = run_all_at_once();
  EXPECT_EQ(total(second, "timed_out"), 10);
  EXPECT_EQ(total(second, "restored"), 5);
  EXPECT_EQ(total(second, "started"), 10) << "the window refilled from the queue, once";
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rotation.timeout'"), 10);
  EXPECT_EQ(count("SELECT count(DISTINCT object_id) FROM audit_log WHERE action = 'rotation.timeout'"), 10);
  EXPECT_EQ(count("SELECT count(DISTINCT object_id) FROM audit_log WHERE action = 'rotation.start'"), 20);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rotation.start'"), 20);
  EXPECT_EQ(count("SELECT count(*) FROM devices WHERE rotation_state = 'PENDING'"), 10);
  for (const auto& [key, old_secret] : old_secrets) {
    EXPECT_EQ(state(key), "TIMEOUT");
    EXPECT_TRUE(accepted(key, old_secret)) << key;
  }
}

}  // namespace
}  // namespace iotfleet::test_support
