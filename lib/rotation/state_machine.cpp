#include "rotation/state_machine.hpp"

#include <algorithm>

namespace iotfleet::rotation {

const char* state_name(State s) {
  switch (s) {
    case State::ok: return "OK";
    case State::queued: return "QUEUED";
    case State::pending: return "PENDING";
    case State::timeout: return "TIMEOUT";
  }
  return "?";
}

std::optional<State> parse_state(std::string_view text) {
  for (State s : kAllStates)
    if (text == state_name(s)) return s;
  return std::nullopt;
}

const char* event_name(Event e) {
  switch (e) {
    case Event::fleet_tick: return "fleet_tick";
    case Event::trigger: return "trigger";
    case Event::cancel: return "cancel";
    case Event::start: return "start";
    case Event::install: return "install";
    case Event::complete: return "complete";
    case Event::time_out: return "time_out";
  }
  return "?";
}

namespace {

Decision to(State next, Actions a = {}) { return {true, next, a, {}}; }
Decision refuse(State current, std::string reason) { return {false, current, {}, std::move(reason)}; }

Decision from_ok(Event e, const Facts& f) {
  switch (e) {
    case Event::fleet_tick:
      if (!f.active) return refuse(State::ok, "inactive devices are skipped by fleet rotation");
      return to(State::queued);
    case Event::trigger: return to(State::queued);
    default: return refuse(State::ok, "no rotation is queued or pending");
  }
}

Decision from_queued(Event e) {
  switch (e) {
    case Event::cancel: return to(State::ok);
    case Event::start: return to(State::pending, {.generate_credential = true, .notify = true});
    case Event::fleet_tick:
    case Event::trigger: return refuse(State::queued, "a rotation is already queued");
    default: return refuse(State::queued, "the rotation is queued, not started");
  }
}

Decision from_pending(Event e, const Facts& f) {
  switch (e) {
    case Event::install: return to(State::pending, {.install_pending = true});
    case Event::complete:
      if (!f.installed) return refuse(State::pending, "the new credential is not installed yet");
      if (!f.proven) return refuse(State::pending, "the device has not used the new credential yet");
      return to(State::ok, {.adopt_pending = true, .clear_notice = true, .reset_failures = true});
    case Event::time_out:
      return to(State::timeout, {.restore_previous = f.installed, .count_failure = true});
    case Event::cancel:
      return refuse(State::pending, "a rotation in flight cannot be cancelled; it ends by completing "
                                    "or timing out");
    default: return refuse(State::pending, "a rotation is already in flight");
  }
}

Decision from_timeout(Event e, const Facts& f) {
  switch (e) {
    case Event::start:
      if (!f.retry_due) return refuse(State::timeout, "the back-off has not expired yet");
      return to(State::pending, {.generate_credential = true, .notify = true});
    case Event::trigger: return to(State::queued, {.reset_failures = true});
    case Event::cancel: return to(State::ok, {.reset_failures = true});
    case Event::fleet_tick: return refuse(State::timeout, "the device is already being retried");
    default: return refuse(State::timeout, "the last attempt timed out; no rotation is pending");
  }
}

}  // namespace

Decision decide(State current, Event event, const Facts& facts) {
  switch (current) {
    case State::ok: return from_ok(event, facts);
    case State::queued: return from_queued(event);
    case State::pending: return from_pending(event, facts);
    case State::timeout: return from_timeout(event, facts);
  }
  return refuse(current, "unknown state");
}

std::chrono::seconds backoff(int failures, std::chrono::seconds base, std::chrono::seconds cap) {
  if (failures <= 0 || base.count() <= 0) return std::chrono::seconds(0);
  std::chrono::seconds delay = base;
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

}  // namespace iotfleet::rotation
