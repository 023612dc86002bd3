// Crash safety (shared/specs/rotation.md "Invariants"): the cycle, and separately the endpoint's
// provisioning handler, are killed at every step boundary; then the device carries on as a real
// one would (keeping both credentials, falling back to the old one) while later cycles run. At
// every check, at least one credential the device holds must be accepted, and the rotation must
// end completed with the device holding the credential in use.
#include <gtest/gtest.h>

#include <algorithm>

#include "rotation_fixture.hpp"

namespace iotfleet::test_support {
namespace {

constexpr std::int64_t kSunday = 1795330800;  // 2026-11-22T07:00:00Z

rotation::FaultPoint crash_at(const std::string& step) {
  return [step](const char* at) {
    if (step == at) throw Crash{at};
  };
}

class CrashTest : public RotationTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string key;
  std::vector<std::string> holds;  // the device's credentials, newest last

  void SetUp() override {
    key = create_devices(1)[0];
    holds = {current_secret(key)};
  }

  bool device_can_authenticate() {
    return std::any_of(holds.begin(), holds.end(), [&](const std::string& s) { return accepted(key, s); });
  }

  void expect_invariant(const std::string& when) {
    EXPECT_TRUE(device_can_authenticate()) << "locked out " << when;
    EXPECT_LE(std::stoi(db.scalar("SELECT count(*) FROM devices WHERE rotation_state = 'PENDING'")),
              settings.max_in_flight);
  }

  template <class Fn>
  void expect_crash(Fn&& fn, const std::string& step) {
    try {
      fn();
      ADD_FAILURE() << "the fault point '" << step << "' was never reached";
    } catch (const Crash& c) {
      EXPECT_EQ(c.step, step);
    }
  }

  // The device behaves from now on; cycles run every ~10 minutes until the rotation completes.
  void carry_on_until_completed() {
    for (int round = 0; round < 12; ++round) {
      if (state(key) == "PENDING") {  // it learnt of the rotation from /iot/config
        auto issued = provisioning(key);
        ASSERT_TRUE(issued) << issued.error().message;
        if (std::find(holds.begin(), holds.end(), issued->secret) == holds.end())
          holds.push_back(issued->secret);
        expect_invariant("after provisioning");
        for (auto it = holds.rbegin(); it != holds.rend(); ++it)
          if (accepted(key, *it) && complete_basic(key, *it).value()) break;
        expect_invariant("after completing");
      }
      if (state(key) == "OK") break;
      clock.advance(601);
      run();
      expect_invariant("after a cycle in round " + std::to_string(round));
    }
    ASSERT_EQ(state(key), "OK");
    EXPECT_EQ(holds.back(), current_secret(key)) << "the device ends on the credential in use";
    EXPECT_TRUE(accepted(key, holds.back()));
    EXPECT_EQ(column(key, "pending_secret"), "");
    EXPECT_EQ(column(key, "previous_secret"), "");
  }
};

class CycleCrash : public CrashTest {};

TEST_P(CycleCrash, TheNextCycleRepairsAKilledCycle) {
  const std::string step = GetParam();
  if (step == "scheduled") {
    clock.set(kSunday);
    run();
    clock.advance(14 * 86400);  // past the December tick
    expect_crash([&] { run(crash_at(step)); }, step);
    EXPECT_EQ(state(key), "QUEUED") << "the schedule's transaction committed before the crash";
  } else if (step == "started" || step == "notified") {
    trigger(key);
    expect_crash([&] { run(crash_at(step)); }, step);
    EXPECT_EQ(state(key), "PENDING");
  } else {  // restored, timed_out: the device got the new credential, then went silent
    trigger(key);
    run();
    holds.push_back(provisioning(key).take().secret);
    clock.advance(301);
    expect_crash([&] { run(crash_at(step)); }, step);
    EXPECT_EQ(state(key), step == "restored" ? "PENDING" : "TIMEOUT")
        << "a restore that did not commit leaves the attempt to time out again";
  }
  expect_invariant("right after the crash");
  const int starts_before = std::stoi(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'rotation.start'"));
  carry_on_until_completed();
  if (step == "started" || step == "notified") {
    EXPECT_EQ(std::stoi(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'rotation.start'")),
              starts_before)
        << "the attempt in flight was not started twice";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryStep, CycleCrash,
                         ::testing::Values("scheduled", "restored", "timed_out", "started", "notified"));

class EndpointCrash : public CrashTest {};

TEST_P(EndpointCrash, AKilledProvisioningHandlerIsRepaired) {
  const std::string step = GetParam();
  trigger(key);
  run();
  // The device never receives the response: it still holds only its old credential.
  expect_crash([&] { (void)provisioning(key, crash_at(step)); }, step);
  EXPECT_FALSE(column(key, "rotation_installed_at").empty());
  if (step == "installed_at_recorded") {
    expect_invariant("after a crash before the install");
  } else {
    // Installed but never delivered: the old credential is refused until the time-out puts it
    // back, and the next cycle after it does.
    clock.advance(301);
    run();
    EXPECT_EQ(state(key), "TIMEOUT");
    expect_invariant("after the time-out's restore");
  }
  carry_on_until_completed();
}

INSTANTIATE_TEST_SUITE_P(EveryStep, EndpointCrash,
                         ::testing::Values("installed_at_recorded", "credential_installed"));

}  // namespace
}  // namespace iotfleet::test_support
