#pragma once
// iot-devsim's report: per-device outcomes and fleet totals as JSON. It holds counters, states
// and versions only, never a credential.

#include <nlohmann/json.hpp>

#include "devsim/fleet.hpp"

namespace iotfleet::devsim {

/// {"elapsed_s", "interrupted", "totals": {...}, "http": {...}, "devices": [...]}
nlohmann::ordered_json to_json(const FleetReport& report);

}  // namespace iotfleet::devsim
