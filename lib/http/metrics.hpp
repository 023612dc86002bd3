#pragma once
// The endpoint's Prometheus metrics (text exposition format 0.0.4): requests by route and status,
// a latency histogram per route, authentication failures by reason, devices by rotation state,
// the age of the served data, and whether the database is reachable. Counters are atomics in
// fixed arrays, so recording costs a few relaxed increments and never a lock.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "auth/rejection.hpp"
#include "http/router.hpp"

namespace iotfleet::http {

/// The statuses the endpoint answers with; anything else is counted as "other".
inline constexpr std::array<int, 19> kStatuses{200, 206, 304, 400, 401, 403, 404, 405, 408,
                                               409, 413, 414, 416, 429, 431, 500, 502, 503, 0};
inline constexpr std::array<double, 12> kLatencyBuckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};
inline constexpr std::size_t kReasonCount =
    static_cast<std::size_t>(auth::Reason::directory_unavailable) + 1;

/// Gauges read when /metrics is scraped.
struct Gauges {
  std::map<std::string, std::int64_t> devices_by_state;  // OK, QUEUED, PENDING, TIMEOUT
  std::int64_t devices = 0;
  std::int64_t firmware_images = 0;
  double data_age_seconds = 0;  // since the data was last confirmed current with the database
  bool database_up = false;
  bool ready = false;
  std::int64_t open_connections = 0;
  // Brute-force protection: 429 answers by what blocked them, and sources remembered.
  std::uint64_t throttled_address = 0, throttled_device = 0;
  std::int64_t throttle_tracked = 0;
};

class Metrics {
 public:
  void request(Route route, int status, double seconds);
  void auth_failure(auth::Reason reason);
  /// Authentication failures without an auth::Reason (client certificates).
  void cert_failure() { cert_failures_.fetch_add(1, std::memory_order_relaxed); }

  std::uint64_t requests(Route route, int status) const;
  std::uint64_t auth_failures(auth::Reason reason) const;

  /// The exposition text, with the gauges appended.
  std::string render(const Gauges& gauges) const;

 private:
  static std::size_t status_index(int status);
  using Counter = std::atomic<std::uint64_t>;
  std::array<std::array<Counter, kStatuses.size()>, kRouteCount> requests_{};
  std::array<std::array<Counter, kLatencyBuckets.size() + 1>, kRouteCount> buckets_{};
  std::array<std::atomic<std::uint64_t>, kRouteCount> latency_micros_{};
  std::array<Counter, kReasonCount> auth_failures_{};
  Counter cert_failures_{0};
};

}  // namespace iotfleet::http
