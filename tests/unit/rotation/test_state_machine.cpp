// Every state × every event, against the table of shared/specs/rotation.md, plus the facts that
// change a decision (inactive devices, installed credentials, due retries, proofs) and back-off.
#include "rotation/state_machine.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>

namespace iotfleet::rotation {
namespace {

using std::chrono::seconds;

// The expected next state of each allowed (state, event) with default facts plus the ones that
// allow it; absent means refused.
struct Expected {
  State next;
  Facts facts;
};

std::map<std::pair<State, Event>, Expected> allowed_table() {
  return {
      {{State::ok, Event::fleet_tick}, {State::queued, {.active = true}}},
      {{State::ok, Event::trigger}, {State::queued, {}}},
      {{State::queued, Event::cancel}, {State::ok, {}}},
      {{State::queued, Event::start}, {State::pending, {}}},
      {{State::timeout, Event::start}, {State::pending, {.retry_due = true}}},
      {{State::timeout, Event::trigger}, {State::queued, {}}},
      {{State::timeout, Event::cancel}, {State::ok, {}}},
      {{State::pending, Event::install}, {State::pending, {}}},
      {{State::pending, Event::complete}, {State::ok, {.installed = true, .proven = true}}},
      {{State::pending, Event::time_out}, {State::timeout, {}}},
  };
}

TEST(StateMachine, EveryStateAndEventIsDecidedAsTheSpecSays) {
  const auto table = allowed_table();
  int checked = 0;
  for (State s : kAllStates) {
    for (Event e : kAllEvents) {
      const auto it = table.find({s, e});
      // With every fact favourable, only the table's pairs are allowed.
      const Facts favourable{.active = true, .installed = true, .retry_due = true, .proven = true};
      const auto d = decide(s, e, it == table.end() ? favourable : it->second.facts);
      SCOPED_TRACE(std::string(state_name(s)) + " × " + event_name(e));
      if (it == table.end()) {
        EXPECT_FALSE(d.allowed);
        EXPECT_EQ(d.next, s) << "a refused event keeps the state";
        EXPECT_FALSE(d.reason.empty());
      } else {
        EXPECT_TRUE(d.allowed) << d.reason;
        EXPECT_EQ(d.next, it->second.next);
        EXPECT_TRUE(d.reason.empty());
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4 * 7);
}

TEST(StateMachine, FleetTicksSkipInactiveDevices) {
  EXPECT_FALSE(decide(State::ok, Event::fleet_tick, {.active = false}).allowed);
  // ...but an operator may rotate one by hand.
  EXPECT_TRUE(decide(State::ok, Event::trigger, {.active = false}).allowed);
}

TEST(StateMachine, StartingGeneratesAndNotifies) {
  for (State s : {State::queued, State::timeout}) {
    const auto d = decide(s, Event::start, {.retry_due = true});
    ASSERT_TRUE(d.allowed);
    EXPECT_TRUE(d.actions.generate_credential);
    EXPECT_TRUE(d.actions.notify);
    EXPECT_FALSE(d.actions.install_pending) << "installing waits for the device to ask";
  }
}

TEST(StateMachine, ARetryWaitsForItsBackOff) {
  const auto d = decide(State::timeout, Event::start, {.retry_due = false});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.next, State::timeout);
}

TEST(StateMachine, CompletingNeedsAnInstalledCredentialAndAProof) {
  EXPECT_FALSE(decide(State::pending, Event::complete, {.installed = false, .proven = true}).allowed);
  EXPECT_FALSE(decide(State::pending, Event::complete, {.installed = true, .proven = false}).allowed);
  const auto d = decide(State::pending, Event::complete, {.installed = true, .proven = true});
  ASSERT_TRUE(d.allowed);
  EXPECT_TRUE(d.actions.adopt_pending);
  EXPECT_TRUE(d.actions.clear_notice);
  EXPECT_TRUE(d.actions.reset_failures);
  EXPECT_FALSE(d.actions.restore_previous);
}

TEST(StateMachine, ATimeOutRestoresOnlyAnInstalledCredential) {
  const auto installed = decide(State::pending, Event::time_out, {.installed = true});
  ASSERT_TRUE(installed.allowed);
  EXPECT_TRUE(installed.actions.restore_previous);
  EXPECT_TRUE(installed.actions.count_failure);
  const auto not_installed = decide(State::pending, Event::time_out, {.installed = false});
  ASSERT_TRUE(not_installed.allowed);
  EXPECT_FALSE(not_installed.actions.restore_previous);
  EXPECT_TRUE(not_installed.actions.count_failure);
}

TEST(StateMachine, InstallingIsRepeatableWhilePending) {
  const auto d = decide(State::pending, Event::install);
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.next, State::pending);
  EXPECT_TRUE(d.actions.install_pending);
  EXPECT_FALSE(d.actions.generate_credential) << "a repeat call never makes another credential";
}

TEST(StateMachine, AnInFlightRotationCannotBeCancelledOrRestarted) {
  EXPECT_FALSE(decide(State::pending, Event::cancel).allowed);
  EXPECT_FALSE(decide(State::pending, Event::start, {.retry_due = true}).allowed);
  EXPECT_FALSE(decide(State::pending, Event::trigger).allowed);
}

TEST(StateMachine, StateNamesRoundTrip) {
  for (State s : kAllStates) EXPECT_EQ(parse_state(state_name(s)), s);
  EXPECT_EQ(parse_state("ok"), std::nullopt) << "the column holds upper case";
  EXPECT_EQ(parse_state(""), std::nullopt);
}

TEST(Backoff, DoublesFromTheBaseUpToTheCap) {
  const seconds base(600), cap(3600);
  EXPECT_EQ(backoff(0, base, cap), seconds(0));
  EXPECT_EQ(backoff(1, base, cap), seconds(600));
  EXPECT_EQ(backoff(2, base, cap), seconds(1200));
  EXPECT_EQ(backoff(3, base, cap), seconds(2400));
  EXPECT_EQ(backoff(4, base, cap), seconds(3600));
  EXPECT_EQ(backoff(1000, base, cap), seconds(3600)) << "no overflow after many failures";
}

}  // namespace
}  // namespace iotfleet::rotation
