#pragma once
// iot-rotate status: where the fleet stands. Counts per state, the window, the oldest
// credential still in use, devices failing repeatedly, and when the schedule fires next.

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/error.hpp"
#include "rotation/exchange.hpp"
#include "rotation/settings.hpp"
#include "store/rotation.hpp"

namespace iotfleet::rotation {

inline constexpr int kRepeatedFailures = 3;

struct FleetStatus {
  store::RotationCounts counts;
  int max_in_flight = 1;
  std::optional<std::int64_t> oldest_credential_age_seconds;
  std::vector<store::FailingDevice> failing;  // at least kRepeatedFailures failed attempts
  std::optional<std::string> last_tick, next_tick;
};

core::Result<FleetStatus> fleet_status(pqxx::connection& db, const CycleSettings& settings,
                                       TimePoint now);

nlohmann::ordered_json to_json(const FleetStatus& s);

}  // namespace iotfleet::rotation
