// The rotation cycle on the real PostgreSQL: schedule, window, time-outs with restore, back-off.
#include <gtest/gtest.h>

#include "rotation/manual.hpp"
#include "rotation_fixture.hpp"

namespace iotfleet::test_support {
namespace {

// 2026-11-22T07:00:00Z is a Sunday; the default schedule fires on the first Saturday at 08:00.
constexpr std::int64_t kSunday = 1795330800;
constexpr std::int64_t kDay = 86400;

TEST_F(RotationTest, AFreshInstallRecordsTheLatestTickAndQueuesNothing) {
  create_devices(3);
  clock.set(kSunday);
  const auto s = run();
  EXPECT_EQ(s.queued, 0);
  EXPECT_EQ(s.started, 0);
  EXPECT_EQ(db.scalar("SELECT value->>'last_tick' FROM settings WHERE key = 'rotation.schedule'"),
            "2026-11-07T08:00:00Z");
  EXPECT_EQ(std::stoi(db.scalar("SELECT count(*) FROM devices WHERE rotation_state = 'OK'")), 3);
}

TEST_F(RotationTest, MissedTicksQueueTheActiveFleetOnce) {
  const auto keys = create_devices(4);
  db.conn();
  db.scalar("UPDATE devices SET active = false WHERE key = '" + keys[3] + "' RETURNING 1");
  clock.set(kSunday);
  run();
  clock.advance(70 * kDay);  // two ticks (December, January) passed while nothing ran
  settings.max_in_flight = 1;
  const auto s = run();
  EXPECT_EQ(s.queued, 3) << "inactive devices are skipped";
  EXPECT_EQ(s.tick.value_or(""), "2027-01-02T08:00:00Z") << "the latest tick, not the run time";
  EXPECT_EQ(s.started, 1);
  const auto again = run();
  EXPECT_EQ(again.queued, 0) << "a tick queues the fleet once";
  EXPECT_EQ(state(keys[3]), "OK");
}

TEST_F(RotationTest, TheWindowBoundsInFlightAndTheOldestCredentialGoesFirst) {
  const auto keys = create_devices(5);
  for (std::size_t i = 0; i < keys.size(); ++i)  // keys[4] has the oldest credential
    db.scalar("UPDATE devices SET secret_created_at = now() - interval '" + std::to_string(i) +
              " days' WHERE key = '" + keys[i] + "' RETURNING 1");
  ASSERT_EQ(rotation::trigger_fleet(db.conn(), "test", clock.now()).value(), 5);
  settings.max_in_flight = 2;
  auto s = run();
  EXPECT_EQ(s.started, 2);
  EXPECT_EQ(s.in_flight, 2);
  EXPECT_EQ(state(keys[4]), "PENDING");
  EXPECT_EQ(state(keys[3]), "PENDING");
  EXPECT_EQ(state(keys[0]), "QUEUED");
  EXPECT_EQ(notifier.announced, 2);
  s = run();
  EXPECT_EQ(s.started, 0) << "the window is full";
}

TEST_F(RotationTest, StartingSealsANewCredentialAndKeepsTheOldOneWorking) {
  const auto key = create_devices(1)[0];
  const auto old_secret = current_secret(key);
  trigger(key);
  ASSERT_EQ(run().started, 1);
  EXPECT_EQ(state(key), "PENDING");
  const auto pending = box.open(column(key, "pending_secret"), idp::device_secret_context(key));
  ASSERT_TRUE(pending);
  EXPECT_NE(pending.value(), old_secret);
  EXPECT_TRUE(accepted(key, old_secret)) << "nothing changes at the provider before the device asks";
  EXPECT_FALSE(accepted(key, pending.value()));
  EXPECT_TRUE(notifier.retained.count("iotdevice-m-" + key));
}

TEST_F(RotationTest, ATimeOutRestoresThePreviousCredentialAndBacksOff) {
  const auto key = create_devices(1)[0];
  const auto old_secret = current_secret(key);
  trigger(key);
  run();
  const auto issued = provisioning(key);
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_TRUE(accepted(key, issued->secret));
  EXPECT_FALSE(accepted(key, old_secret));

  clock.advance(299);
  EXPECT_EQ(run().timed_out, 0);
  clock.advance(2);
  const auto s = run();
  EXPECT_EQ(s.timed_out, 1);
  EXPECT_EQ(s.restored, 1);
  EXPECT_EQ(state(key), "TIMEOUT");
  EXPECT_TRUE(accepted(key, old_secret)) << "the previous credential is back";
  EXPECT_FALSE(accepted(key, issued->secret));
  EXPECT_EQ(column(key, "rotation_attempts"), "1");
  EXPECT_EQ(column(key, "pending_secret"), "");
  EXPECT_EQ(current_secret(key), old_secret);

  clock.advance(599);  // back-off base 600 s
  EXPECT_EQ(run().started, 0);
  clock.advance(1);
  EXPECT_EQ(run().started, 1);
  EXPECT_EQ(state(key), "PENDING");
  const auto retry = box.open(column(key, "pending_secret"), idp::device_secret_context(key));
  EXPECT_NE(retry.value(), issued->secret) << "a new attempt has a new credential";
}

TEST_F(RotationTest, ATimeOutBeforeInstallRestoresNothing) {
  const auto key = create_devices(1)[0];
  const auto old_secret = current_secret(key);
  trigger(key);
  run();
  clock.advance(301);
  const auto s = run();
  EXPECT_EQ(s.timed_out, 1);
  EXPECT_EQ(s.restored, 0);
  EXPECT_TRUE(accepted(key, old_secret));
}

TEST_F(RotationTest, ADeadDeviceDoesNotBlockTheFleet) {
  const auto keys = create_devices(2);
  ASSERT_EQ(rotation::trigger_fleet(db.conn(), "test", clock.now()).value(), 2);
  run();
  const std::string first = state(keys[0]) == "PENDING" ? keys[0] : keys[1];
  const std::string second = first == keys[0] ? keys[1] : keys[0];
  EXPECT_EQ(state(second), "QUEUED");
  clock.advance(301);
  const auto s = run();
  EXPECT_EQ(s.timed_out, 1);
  EXPECT_EQ(s.started, 1);
  EXPECT_EQ(state(second), "PENDING") << "the window went to the next device";
  EXPECT_EQ(state(first), "TIMEOUT");
}

TEST_F(RotationTest, BackOffDoublesUpToTheCap) {
  const auto key = create_devices(1)[0];
  settings.backoff_base = std::chrono::seconds(100);
  settings.backoff_cap = std::chrono::seconds(250);
  trigger(key);
  std::vector<std::int64_t> waits;
  for (int attempt = 0; attempt < 4; ++attempt) {
    ASSERT_EQ(run().started, 1) << "attempt " << attempt;
    clock.advance(301);
    ASSERT_EQ(run().timed_out, 1);
    waits.push_back(std::stoll(db.scalar(
        "SELECT extract(epoch FROM next_attempt_at)::bigint FROM devices WHERE key = '" + key + "'")) -
                    clock.seconds());
    clock.advance(waits.back());
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{100, 200, 250, 250}));
  EXPECT_EQ(column(key, "rotation_attempts"), "4");
}

TEST_F(RotationTest, ABrokerThatIsDownIsReportedAndTheRotationStillStarts) {
  const auto key = create_devices(1)[0];
  trigger(key);
  notifier.broker_down = true;
  const auto s = run();
  EXPECT_EQ(s.started, 1);
  EXPECT_EQ(state(key), "PENDING") << "devices also learn of it from /iot/config";
  EXPECT_TRUE(s.dependency_unavailable);
  ASSERT_EQ(s.problems.size(), 1u);
  EXPECT_NE(s.problems[0].find("broker"), std::string::npos);
}

TEST_F(RotationTest, TriggerAndCancelFollowTheStateMachine) {
  const auto key = create_devices(1)[0];
  EXPECT_EQ(rotation::cancel_device(db.conn(), key, "t").error().kind, core::ErrorKind::conflict);
  trigger(key);
  EXPECT_EQ(rotation::trigger_device(db.conn(), key, "t", clock.now()).error().kind,
            core::ErrorKind::conflict);
  ASSERT_TRUE(rotation::cancel_device(db.conn(), key, "t"));
  EXPECT_EQ(state(key), "OK");
  trigger(key);
  run();
  const auto refused = rotation::cancel_device(db.conn(), key, "t");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("in flight"), std::string::npos);
  EXPECT_EQ(rotation::trigger_device(db.conn(), "zzzzzzzz", "t", clock.now()).error().kind,
            core::ErrorKind::not_found);
}

TEST_F(RotationTest, SummariesNeverContainSecrets) {
  const auto key = create_devices(1)[0];
  const auto old_secret = current_secret(key);
  trigger(key);
  notifier.broker_down = true;
  const auto text = rotation::to_json(run()).dump();
  const auto pending = box.open(column(key, "pending_secret"), idp::device_secret_context(key)).take();
  EXPECT_EQ(text.find(old_secret), std::string::npos);
  EXPECT_EQ(text.find(pending), std::string::npos);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM audit_log WHERE details::text LIKE '%" + pending + "%'"), "0");
}

}  // namespace
}  // namespace iotfleet::test_support
