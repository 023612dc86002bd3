#include "rotation/status.hpp"

#include <ctime>

#include "core/clock.hpp"
#include "store/database.hpp"

namespace iotfleet::rotation {
namespace {

std::optional<std::int64_t> age_seconds(const std::optional<std::string>& iso, TimePoint now) {
  if (!iso) return std::nullopt;
  std::tm tm{};
  if (!strptime(iso->c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return std::nullopt;
  const auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
}

}  // namespace

core::Result<FleetStatus> fleet_status(pqxx::connection& db, const CycleSettings& settings,
                                       TimePoint now) {
  return store::in_transaction(db, "read the rotation status", [&](pqxx::work& tx) {
    store::RotationRepository repo(tx);
    FleetStatus s;
    s.counts = repo.counts();
    s.max_in_flight = settings.max_in_flight;
    s.oldest_credential_age_seconds = age_seconds(s.counts.oldest_secret_created_at, now);
    s.failing = repo.failing(kRepeatedFailures, 50);
    s.last_tick = repo.last_tick();
    const auto& rs = settings.schedule;
    if (auto next = rs.schedule.next_after(std::chrono::floor<std::chrono::seconds>(now), rs.zone))
      s.next_tick = core::format_iso_utc(*next);
    return s;
  });
}

nlohmann::ordered_json to_json(const FleetStatus& s) {
  auto opt = [](const auto& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  nlohmann::ordered_json j;
  j["states"] = {{"OK", s.counts.ok},
                 {"QUEUED", s.counts.queued},
                 {"PENDING", s.counts.pending},
                 {"TIMEOUT", s.counts.timeout}};
  j["inactive"] = s.counts.inactive;
  j["in_flight"] = s.counts.pending;
  j["max_in_flight"] = s.max_in_flight;
  j["oldest_credential_created_at"] = opt(s.counts.oldest_secret_created_at);
  j["oldest_credential_age_seconds"] = opt(s.oldest_credential_age_seconds);
  auto failing = nlohmann::ordered_json::array();
  for (const auto& f : s.failing)
    failing.push_back({{"key", f.key}, {"attempts", f.attempts}, {"next_attempt_at", opt(f.next_attempt_at)}});
  j["failing_repeatedly"] = failing;
  j["last_tick"] = opt(s.last_tick);
  j["next_tick"] = opt(s.next_tick);
  return j;
}

}  // namespace iotfleet::rotation
