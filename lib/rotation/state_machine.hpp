#pragma once
// The rotation state machine of shared/specs/rotation.md as pure functions: a state, an event
// and the facts the event needs in; the next state and the actions to perform out. The cycle
// runner (cycle.hpp) and the endpoint's side (exchange.hpp) ask decide() before they change a
// row, so every transition the database sees is one this table allows.
//
//   OK      --fleet_tick (active) / trigger-->  QUEUED
//   QUEUED  --cancel-->                         OK
//   QUEUED  --start-->                          PENDING   (generate credential, notify)
//   TIMEOUT --start (retry due)-->              PENDING   (generate credential, notify)
//   TIMEOUT --trigger-->                        QUEUED    (an operator asks again: no back-off)
//   TIMEOUT --cancel-->                         OK        (the previous credential is in place)
//   PENDING --install-->                        PENDING   (install the new credential)
//   PENDING --complete (installed, proven)-->   OK        (keep the new credential, clear notice)
//   PENDING --time_out-->                       TIMEOUT   (restore the previous one if installed)
// Everything else is refused with the reason an operator or a device would need.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace iotfleet::rotation {

enum class State { ok, queued, pending, timeout };
enum class Event { fleet_tick, trigger, cancel, start, install, complete, time_out };

inline constexpr State kAllStates[] = {State::ok, State::queued, State::pending, State::timeout};
inline constexpr Event kAllEvents[] = {Event::fleet_tick, Event::trigger, Event::cancel,
                                       Event::start,      Event::install, Event::complete,
                                       Event::time_out};

/// "OK", "QUEUED", "PENDING", "TIMEOUT": the values of devices.rotation_state.
const char* state_name(State s);
std::optional<State> parse_state(std::string_view text);
const char* event_name(Event e);

/// What the caller knows about the device when the event happens.
struct Facts {
  bool active = true;      // fleet ticks skip inactive devices
  bool installed = false;  // the pending credential is installed in the identity provider
  bool retry_due = false;  // TIMEOUT: next_attempt_at has come
  bool proven = false;     // complete: the device authenticated with the new credential
};

/// What to do, besides writing the new state.
struct Actions {
  bool generate_credential = false;  // seal a fresh secret into pending_secret, keep the old
  bool notify = false;               // publish the retained notice
  bool install_pending = false;      // make the identity provider accept the pending secret
  bool restore_previous = false;     // make it accept the previous secret again
  bool adopt_pending = false;        // the pending secret becomes the device's credential
  bool clear_notice = false;         // remove the retained notice
  bool count_failure = false;        // rotation_attempts + 1, next_attempt_at = now + backoff
  bool reset_failures = false;       // rotation_attempts = 0, next_attempt_at = NULL
};

struct Decision {
  bool allowed = false;
  State next = State::ok;
  Actions actions;
  std::string reason;  // why it is refused (empty when allowed)
};

Decision decide(State current, Event event, const Facts& facts = {});

/// Exponential back-off after `failures` consecutive failed attempts (1 → base, 2 → 2·base, …),
/// never more than cap.
std::chrono::seconds backoff(int failures, std::chrono::seconds base, std::chrono::seconds cap);

}  // namespace iotfleet::rotation
