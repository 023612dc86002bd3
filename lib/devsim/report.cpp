#include "devsim/report.hpp"

#include "devsim/sim_device.hpp"

namespace iotfleet::devsim {
namespace {

using nlohmann::ordered_json;

ordered_json counters(const iot_device::Stats& s) {
  ordered_json errors = ordered_json::object();
  for (int i = 0; i < static_cast<int>(iot_device::ErrorKind::count_); ++i)
    errors[iot_device::error_kind_name(static_cast<iot_device::ErrorKind>(i))] = s.errors[i];
  return {{"configs_fetched", s.configs_fetched},
          {"configs_unchanged", s.configs_unchanged},
          {"tokens_fetched", s.tokens_fetched},
          {"rotations_started", s.rotations_started},
          {"rotations_completed", s.rotations_completed},
          {"rotation_fallbacks", s.rotation_fallbacks},
          {"updates_applied", s.updates_applied},
          {"notices_received", s.notices_received},
          {"errors", errors}};
}

}  // namespace

ordered_json to_json(const FleetReport& r) {
  iot_device::Stats total;
  std::size_t online = 0, dropped = 0, came_back = 0, rotating = 0, failed_boot = 0;
  ordered_json versions = ordered_json::object();
  ordered_json devices = ordered_json::array();
  for (const auto& d : r.devices) {
    add_stats(total, d.stats);
    online += d.online;
    dropped += d.dropped;
    came_back += d.came_back;
    rotating += d.rotating;
    failed_boot += !d.booted;
    const std::string version = d.firmware_version.empty() ? "(none)" : d.firmware_version;
    versions[version] = versions.value(version, 0) + 1;
    ordered_json one = {{"key", d.key},
                        {"client_id", d.client_id},
                        {"identity", d.identity},
                        {"booted", d.booted},
                        {"online", d.online},
                        {"dropped", d.dropped},
                        {"came_back", d.came_back},
                        {"firmware_version", d.firmware_version},
                        {"rotating", d.rotating},
                        {"http_requests", d.http_requests}};
    one.update(counters(d.stats));
    devices.push_back(std::move(one));
  }
  const double seconds = static_cast<double>(r.elapsed.count()) / 1000.0;
  const double configs = total.configs_fetched + total.configs_unchanged;
  ordered_json totals = {{"devices", r.devices.size()}, {"online", online},
                         {"dropped", dropped},          {"came_back", came_back},
                         {"rotating", rotating},        {"failed_to_start", failed_boot},
                         {"firmware_versions", versions}};
  totals.update(counters(total));
  return {{"elapsed_s", seconds},
          {"interrupted", r.interrupted},
          {"totals", totals},
          {"http",
           {{"requests", r.http_requests},
            {"requests_per_s", seconds > 0 ? static_cast<double>(r.http_requests) / seconds : 0.0},
            {"configs_per_s", seconds > 0 ? configs / seconds : 0.0},
            {"latency_p50_ms", r.latency_p50_ms},
            {"latency_p99_ms", r.latency_p99_ms},
            {"latency_max_ms", r.latency_max_ms}}},
          {"devices", devices}};
}

}  // namespace iotfleet::devsim
