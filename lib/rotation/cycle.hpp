#pragma once
// One rotation cycle (shared/specs/rotation.md "One cycle"): schedule, time-outs, start. Every
// step claims rows in its own short transaction, so two runs at once (an overlapping CronJob, an
// operator's manual run) share the work instead of doing it twice, and a run killed between any
// two steps leaves rows the next run picks up: a PENDING device whose restore did not commit is
// still PENDING and is restored again; a device started without its notice learns of the
// rotation from /iot/config.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/secret_box.hpp"
#include "rotation/exchange.hpp"
#include "rotation/installer.hpp"
#include "rotation/notifier.hpp"
#include "rotation/settings.hpp"

namespace iotfleet::rotation {

struct CycleSummary {
  std::int64_t queued = 0;     // devices queued by a schedule tick in this run
  std::int64_t started = 0;
  std::int64_t timed_out = 0;
  std::int64_t restored = 0;   // timed-out devices whose previous credential was put back
  std::int64_t completed = 0;  // rotations completed by devices since the previous run
  std::int64_t in_flight = 0;  // PENDING devices at the end of the run
  std::optional<std::string> tick;  // the schedule tick handled, if one was
  std::vector<std::string> problems;  // what could not be done (never a secret)
  bool dependency_unavailable = false;  // exit 5: Keycloak, the broker or the database
};

struct CycleContext {
  pqxx::connection& db;
  CredentialInstaller& installer;
  Notifier& notifier;
  const core::SecretBox& box;
  const core::Clock& clock;
  std::string actor;
  FaultPoint fault;  // tests: "scheduled", "restored", "timed_out", "started", "notified"
};

/// Runs one cycle. An error only when the database cannot be used at all; per-device problems
/// are in the summary (and set dependency_unavailable when a dependency caused them).
core::Result<CycleSummary> run_cycle(CycleContext& ctx, const CycleSettings& settings);

/// {"queued":…,"started":…,"timed_out":…,"restored":…,"completed":…,"in_flight":…,…}
nlohmann::ordered_json to_json(const CycleSummary& s);

}  // namespace iotfleet::rotation
