#pragma once
// Runs N simulated devices over a small pool of worker threads. Each device is due at the time
// its last step() named; a priority queue hands the earliest due device to the next free worker,
// so one device is never stepped by two workers at once and idle devices cost nothing.
// The --fail-rate devices power off right after /iot/provisioning gave them their new credential
// (before they prove it), and boot again after --offline-for, if given.

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "devsim/options.hpp"
#include "iot_device/device.hpp"

namespace iotfleet::devsim {

struct DeviceOutcome {
  std::string key;
  std::string client_id;
  std::string identity;        // "local" or "keycloak" (the package has a token URL)
  bool booted = false;         // begin() accepted the stored package
  bool online = false;         // running at the end
  bool dropped = false;        // went offline mid-rotation (--fail-rate)
  bool came_back = false;      // booted again after dropping (--offline-for)
  std::string firmware_version;
  bool rotating = false;
  iot_device::Stats stats;
  std::uint64_t http_requests = 0;
};

struct FleetReport {
  std::vector<DeviceOutcome> devices;
  std::chrono::milliseconds elapsed{0};
  bool interrupted = false;  // stopped by a signal before --duration
  // Every HTTP exchange that got an answer, in milliseconds.
  std::uint64_t http_requests = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;
};

/// Runs the fleet until options.duration has passed or `stop` becomes true. Fails before any
/// device starts when the packages are unusable (too few, unreadable, duplicate keys).
core::Result<FleetReport> run_fleet(const FleetOptions& options, const std::atomic<bool>& stop);

}  // namespace iotfleet::devsim
