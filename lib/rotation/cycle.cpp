#include "rotation/cycle.hpp"

#include "core/log.hpp"
#include "idp/provider.hpp"
#include "rotation/state_machine.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/rotation.hpp"

namespace iotfleet::rotation {
namespace {

using std::chrono::seconds;

struct Run {
  CycleContext& ctx;
  const CycleSettings& settings;
  CycleSummary summary;
  TimePoint now;
  std::string now_iso;

  void fault(const char* step) const {
    if (ctx.fault) ctx.fault(step);
  }

  void problem(const std::string& device_key, const core::Error& e) {
    summary.problems.push_back("device " + device_key + ": " + e.message +
                               (e.hint.empty() ? "" : " (" + e.hint + ")"));
    if (e.kind == core::ErrorKind::unavailable) summary.dependency_unavailable = true;
    core::log::warn("rotation problem", {{"device", device_key}, {"error", e.message}});
  }

  void audit(pqxx::work& tx, const std::string& action, const std::string& key,
             nlohmann::json details = nlohmann::json::object()) const {
    store::record(tx, {ctx.actor, action, "device", key, std::move(details)});
  }

  // Step 1: a tick passed since the last one handled queues the fleet once, however many passed.
  core::Status schedule() {
    const auto& rs = settings.schedule;
    const auto latest = rs.schedule.latest_at_or_before(std::chrono::floor<seconds>(now), rs.zone);
    auto done = store::in_transaction(ctx.db, "handle the rotation schedule", [&](pqxx::work& tx) {
      store::RotationRepository repo(tx);
      const auto last = repo.lock_last_tick();
      if (!latest) return;
      const auto tick = core::format_iso_utc(*latest);
      if (last && *last >= tick) return;
      if (last) {
        summary.queued = repo.queue_fleet(now_iso, ctx.installer.rotates("cert"));
        summary.tick = tick;
        store::record(tx, {ctx.actor, "rotation.schedule", "fleet", "devices",
                           {{"tick", tick}, {"queued", summary.queued}}});
      }
      repo.set_last_tick(tick, rs.schedule.expression(), rs.zone.name());
    });
    if (done) fault("scheduled");
    return done;
  }

  // Step 2: attempts older than the time-out end; the previous credential goes back first.
  void time_outs() {
    std::vector<std::int64_t> skip;
    const auto cutoff = core::format_iso_utc(now - settings.timeout, true);
    for (;;) {
      std::optional<store::RotationRow> claimed;
      bool restored = false;
      auto done = store::in_transaction(ctx.db, "time out rotations", [&](pqxx::work& tx) {
        store::RotationRepository repo(tx);
        claimed = repo.claim_timed_out(cutoff, skip);
        if (!claimed) return;
        const auto& row = *claimed;
        const bool installed = row.installed_at.has_value();
        const auto decision = decide(State::pending, Event::time_out, {.installed = installed});
        const auto context = idp::device_secret_context(row.key);
        const auto open = [&](const std::optional<std::string>& sealed) -> std::optional<std::string> {
          if (!sealed) return std::nullopt;
          auto plain = ctx.box.open(*sealed, context);
          if (!plain) throw core::Failure(plain.error());
          return std::move(plain.value());
        };
        const auto previous = decision.actions.restore_previous ? open(row.previous_secret) : std::nullopt;
        core::check(ctx.installer.abandon(tx, {row.key, row.client_id, row.identity_kind}, previous,
                                          open(row.pending_secret).value_or(""),
                                          decision.actions.restore_previous, now));
        if (decision.actions.restore_previous) {
          restored = true;
          fault("restored");
        }
        const auto delay = backoff(row.attempts + 1, settings.backoff_base, settings.backoff_cap);
        repo.time_out(row.id, core::format_iso_utc(now + delay));
        audit(tx, "rotation.timeout", row.key,
              {{"attempts", row.attempts + 1}, {"restored", restored}, {"retry_in_seconds", delay.count()}});
      });
      if (!claimed) {
        if (!done) problem("(time-outs)", done.error());
        return;
      }
      if (!done) {
        problem(claimed->key, done.error());
        skip.push_back(claimed->id);
        continue;
      }
      ++summary.timed_out;
      if (restored) ++summary.restored;
      fault("timed_out");
    }
  }

  // Step 3: fill the in-flight window, oldest credentials first, then retries whose back-off ended.
  void starts() {
    std::vector<std::int64_t> skip;
    for (;;) {
      std::optional<store::RotationRow> claimed;
      auto done = store::in_transaction(ctx.db, "start rotations", [&](pqxx::work& tx) {
        store::RotationRepository repo(tx);
        repo.lock_start_window();
        if (repo.count_pending() >= settings.max_in_flight) return;
        claimed = repo.claim_next_start(now_iso, skip);
        if (!claimed) return;
        const auto state = parse_state(claimed->state).value_or(State::ok);
        if (!decide(state, Event::start, {.retry_due = true}).allowed) {
          skip.push_back(claimed->id);
          return;
        }
        auto credential =
            ctx.installer.generate(tx, {claimed->key, claimed->client_id, claimed->identity_kind}, now);
        if (!credential) throw core::Failure(credential.error());
        repo.start(claimed->id, ctx.box.seal(*credential, idp::device_secret_context(claimed->key)),
                   now_iso);
        audit(tx, "rotation.start", claimed->key, {{"attempt", claimed->attempts + 1}});
      });
      if (!done) {
        if (!claimed) return problem("(start)", done.error());
        problem(claimed->key, done.error());
        skip.push_back(claimed->id);
        continue;
      }
      if (!claimed) return;
      if (!skip.empty() && skip.back() == claimed->id) continue;
      ++summary.started;
      fault("started");
      auto notified = ctx.notifier.announce(claimed->client_id, claimed->key, now_iso);
      if (!notified) problem(claimed->key, notified.error());
      else fault("notified");
    }
  }

  core::Status finish() {
    return core::capture([&] {
      auto done = store::in_transaction(ctx.db, "summarise the rotation cycle", [&](pqxx::work& tx) {
        store::RotationRepository repo(tx);
        summary.in_flight = repo.count_pending();
        summary.completed = repo.completed_since(repo.swap_last_run());
      });
      core::check(done);
    });
  }
};

}  // namespace

core::Result<CycleSummary> run_cycle(CycleContext& ctx, const CycleSettings& settings) {
  Run run{ctx, settings, {}, ctx.clock.now(), core::format_iso_utc(ctx.clock.now(), true)};
  run.now_iso = core::format_iso_utc(run.now, true);
  if (auto s = run.schedule(); !s) return s.error();
  run.time_outs();
  run.starts();
  if (auto s = run.finish(); !s) return s.error();
  return std::move(run.summary);
}

nlohmann::ordered_json to_json(const CycleSummary& s) {
  nlohmann::ordered_json j;
  j["queued"] = s.queued;
  j["started"] = s.started;
  j["timed_out"] = s.timed_out;
  j["restored"] = s.restored;
  j["completed"] = s.completed;
  j["in_flight"] = s.in_flight;
  j["tick"] = s.tick ? nlohmann::ordered_json(*s.tick) : nlohmann::ordered_json(nullptr);
  j["problems"] = s.problems;
  j["dependency_unavailable"] = s.dependency_unavailable;
  return j;
}

}  // namespace iotfleet::rotation
