#include "http/metrics.hpp"

#include <cstdio>

namespace iotfleet::http {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::size_t Metrics::status_index(int status) {
  for (std::size_t i = 0; i + 1 < kStatuses.size(); ++i)
    if (kStatuses[i] == status) return i;
  return kStatuses.size() - 1;
}

void Metrics::request(Route route, int status, double seconds) {
  const auto r = static_cast<std::size_t>(route);
  requests_[r][status_index(status)].fetch_add(1, std::memory_order_relaxed);
  std::size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  buckets_[r][b].fetch_add(1, std::memory_order_relaxed);
  latency_micros_[r].fetch_add(static_cast<std::uint64_t>(seconds * 1e6),
                               std::memory_order_relaxed);
}

void Metrics::auth_failure(auth::Reason reason) {
  auth_failures_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Metrics::requests(Route route, int status) const {
  return requests_[static_cast<std::size_t>(route)][status_index(status)].load();
}

std::uint64_t Metrics::auth_failures(auth::Reason reason) const {
  return auth_failures_[static_cast<std::size_t>(reason)].load();
}

std::string Metrics::render(const Gauges& g) const {
  std::string out;
  out.reserve(16384);
  out +=
      "# HELP iot_serve_requests_total Requests answered, by route and status.\n"
      "# TYPE iot_serve_requests_total counter\n";
  for (std::size_t r = 0; r < kRouteCount; ++r)
    for (std::size_t s = 0; s < kStatuses.size(); ++s) {
      const auto n = requests_[r][s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "iot_serve_requests_total{route=\"";
      out += route_name(static_cast<Route>(r));
      out += "\",status=\"";
      out += kStatuses[s] ? std::to_string(kStatuses[s]) : std::string("other");
      out += "\"} " + std::to_string(n) + "\n";
    }
  out +=
      "# HELP iot_serve_request_duration_seconds Time from a complete request to its response.\n"
      "# TYPE iot_serve_request_duration_seconds histogram\n";
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    std::uint64_t cumulative = 0;
    std::string lines;
    for (std::size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
      cumulative += buckets_[r][b].load(std::memory_order_relaxed);
      const std::string le = b < kLatencyBuckets.size() ? number(kLatencyBuckets[b]) : "+Inf";
      lines += "iot_serve_request_duration_seconds_bucket{route=\"" +
               std::string(route_name(static_cast<Route>(r))) + "\",le=\"" + le + "\"} " +
               std::to_string(cumulative) + "\n";
    }
    if (cumulative == 0) continue;
    out += lines;
    const std::string label = "{route=\"" + std::string(route_name(static_cast<Route>(r))) + "\"}";
    out += "iot_serve_request_duration_seconds_sum" + label + " " +
           number(static_cast<double>(latency_micros_[r].load()) / 1e6) + "\n";
    out += "iot_serve_request_duration_seconds_count" + label + " " + std::to_string(cumulative) +
           "\n";
  }
  out +=
      "# HELP iot_serve_auth_failures_total Refused authentications, by reason.\n"
      "# TYPE iot_serve_auth_failures_total counter\n";
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    const auto n = auth_failures_[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    out += "iot_serve_auth_failures_total{reason=\"";
    out += auth::reason_name(static_cast<auth::Reason>(i));
    out += "\"} " + std::to_string(n) + "\n";
  }
  if (const auto n = cert_failures_.load(); n)
    out += "iot_serve_auth_failures_total{reason=\"bad_client_certificate\"} " + std::to_string(n) +
           "\n";
  out +=
      "# HELP iot_serve_devices Devices in the served data, by rotation state.\n"
      "# TYPE iot_serve_devices gauge\n";
  for (const char* state : {"OK", "QUEUED", "PENDING", "TIMEOUT"}) {
    const auto it = g.devices_by_state.find(state);
    out += std::string("iot_serve_devices{rotation_state=\"") + state + "\"} " +
           std::to_string(it == g.devices_by_state.end() ? 0 : it->second) + "\n";
  }
  out +=
      "# HELP iot_serve_data_age_seconds Seconds since the served data was last confirmed "
      "current with the database.\n"
      "# TYPE iot_serve_data_age_seconds gauge\n"
      "iot_serve_data_age_seconds " +
      number(g.data_age_seconds) +
      "\n"
      "# HELP iot_serve_firmware_images Firmware images held in memory.\n"
      "# TYPE iot_serve_firmware_images gauge\n"
      "iot_serve_firmware_images " +
      std::to_string(g.firmware_images) +
      "\n"
      "# HELP iot_serve_database_up Whether the database connection is up.\n"
      "# TYPE iot_serve_database_up gauge\n"
      "iot_serve_database_up " +
      (g.database_up ? "1" : "0") +
      "\n"
      "# HELP iot_serve_ready Whether /health/ready answers 200.\n"
      "# TYPE iot_serve_ready gauge\n"
      "iot_serve_ready " +
      (g.ready ? "1" : "0") +
      "\n"
      "# HELP iot_serve_open_connections Client connections open now.\n"
      "# TYPE iot_serve_open_connections gauge\n"
      "iot_serve_open_connections " +
      std::to_string(g.open_connections) +
      "\n"
      "# HELP iot_serve_auth_throttled_total Requests refused with 429 before authentication.\n"
      "# TYPE iot_serve_auth_throttled_total counter\n"
      "iot_serve_auth_throttled_total{scope=\"address\"} " +
      std::to_string(g.throttled_address) +
      "\n"
      "iot_serve_auth_throttled_total{scope=\"device\"} " +
      std::to_string(g.throttled_device) +
      "\n"
      "# HELP iot_serve_auth_throttle_sources Addresses and device keys with recent failures.\n"
      "# TYPE iot_serve_auth_throttle_sources gauge\n"
      "iot_serve_auth_throttle_sources " +
      std::to_string(g.throttle_tracked) + "\n";
  return out;
}

}  // namespace iotfleet::http
