#include <gtest/gtest.h>

#include <thread>

#include "integration/provision/provision_fixture.hpp"
#include "store/migrations.hpp"

namespace iotfleet::test_support {
namespace {

TEST(Migrate, AppliesOnceThenReportsUpToDate) {
  TestDatabase fresh(/*migrate=*/false);
  RunOptions options;
  options.env["DATABASE_URL"] = fresh.url();
  auto first = run(bin("iot-provision"), {"migrate", "--output", "json"}, options);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto report = nlohmann::json::parse(first.out);
  EXPECT_EQ(report["from_version"], 0);
  EXPECT_EQ(report["to_version"], store::all_migrations().back().version);
  EXPECT_EQ(report["applied"].size(), store::all_migrations().size());

  auto second = run(bin("iot-provision"), {"migrate", "--output", "json"}, options);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(nlohmann::json::parse(second.out)["applied"].empty());
  EXPECT_EQ(fresh.scalar("SELECT count(*) FROM schema_migrations"),
            std::to_string(store::all_migrations().size()));
}

TEST(Migrate, ConcurrentRunsAllSucceedAndApplyEachMigrationOnce) {
  TestDatabase fresh(/*migrate=*/false);
  RunOptions options;
  options.env["DATABASE_URL"] = fresh.url();
  std::vector<RunResult> results(6);
  std::vector<std::thread> threads;
  for (auto& r : results)
    threads.emplace_back([&r, &options] { r = run(bin("iot-provision"), {"migrate", "--output", "json"}, options); });
  for (auto& t : threads) t.join();
  std::size_t applied = 0;
  for (const auto& r : results) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    applied += nlohmann::json::parse(r.out)["applied"].size();
  }
  EXPECT_EQ(applied, store::all_migrations().size()) << "every migration applied by exactly one run";
}

TEST(Migrate, OtherCommandsRefuseAnUnmigratedDatabase) {
  TestDatabase fresh(/*migrate=*/false);
  RunOptions options;
  options.env["DATABASE_URL"] = fresh.url();
  auto r = run(bin("iot-provision"), {"model", "list"}, options);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("run 'iot-provision migrate'"), std::string::npos) << r.err;
}

TEST(Migrate, MissingDatabaseUrlIsAUsageErrorNamingTheVariable) {
  RunOptions options;
  options.unset = {"DATABASE_URL", "DATABASE_URL_FILE"};
  auto r = run(bin("iot-provision"), {"model", "list"}, options);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("DATABASE_URL"), std::string::npos) << r.err;
}

TEST(Migrate, UnreachableDatabaseIsExit5WithoutThePassword) {
  RunOptions options;
  // Port 1 on loopback: nothing listens there.
  options.env["DATABASE_URL"] = "postgresql://iotfleet:s3cr3t-pw@127.0.0.1:1/iotfleet?connect_timeout=2";
  auto r = run(bin("iot-provision"), {"model", "list"}, options);
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("cannot connect to PostgreSQL"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("s3cr3t-pw"), std::string::npos) << "password leaked: " << r.err;
}

}  // namespace
}  // namespace iotfleet::test_support
