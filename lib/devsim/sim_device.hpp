#pragma once
// One simulated device: its provisioning package, its storage folder, the host ports and the
// device core running over them. Powering off drops the core and its connections (storage
// stays); booting again makes a fresh core that reads its state back, as an ESP32 after a reset.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "devsim/curl_http.hpp"
#include "devsim/host_ports.hpp"
#include "devsim/options.hpp"
#include "devsim/paho_mqtt.hpp"
#include "devsim/storage.hpp"
#include "iot_device/device.hpp"

namespace iotfleet::devsim {

/// The fields of a JSON provisioning package (specs/platform.md), as strings for namespace
/// "prov". Fails naming the file when it is not a package.
core::Result<std::map<std::string, std::string>> read_package(const std::filesystem::path& file);

/// Adds b's counters to a.
void add_stats(iot_device::Stats& a, const iot_device::Stats& b);

class SimDevice {
 public:
  /// Seeds namespace "prov" from the package unless the state folder already has one (state
  /// persists across runs), and the running version from options.initial_version.
  static core::Result<std::unique_ptr<SimDevice>> create(const std::filesystem::path& package,
                                                          const FleetOptions& options,
                                                          std::uint32_t seed);

  /// Creates the core and runs begin(); false when the stored package is incomplete.
  bool boot();
  /// One step of the core; the milliseconds until the next one.
  std::uint32_t step();
  /// Drops the core and its connections; counters and the last firmware version are kept.
  void power_off();
  bool running() const { return device_ != nullptr; }

  const std::string& key() const { return key_; }
  const std::string& client_id() const { return client_id_; }
  const std::string& identity() const { return identity_; }
  /// Counters over every boot.
  iot_device::Stats stats() const;
  /// rotations_started of the running core (0 when off).
  std::uint32_t rotations_started_now() const;
  std::string firmware_version() const;
  bool rotating() const;
  std::uint32_t boots() const { return boots_; }
  const CurlHttp& http() const { return http_; }

 private:
  SimDevice(std::string key, std::string client_id, std::string identity,
            const FleetOptions& options, std::uint32_t seed);

  std::string key_, client_id_, identity_;
  iot_device::Tunables tunables_;
  FileStorage storage_;
  CurlHttp http_;
  PahoMqtt mqtt_;
  SteadyClock clock_;
  SeededRandom random_;
  EvpSha256 sha256_;
  MemorySlot slot_;
  std::unique_ptr<iot_device::Device> device_;
  iot_device::Stats earlier_;  // counters of the boots before the running one
  std::string last_version_;
  bool last_rotating_ = false;
  std::uint32_t boots_ = 0;
};

}  // namespace iotfleet::devsim
