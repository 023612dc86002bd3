#pragma once
// Keeps the Snapshot current with PostgreSQL (issue 4, "Data"). One background thread owns one
// connection: it loads everything, LISTENs on the channel "iot_serve" that migration 0003's
// triggers notify ("device:<key>", "devices:*", "firmware"), applies what each notification
// names, reloads everything every `reload_interval` as a safety net, and checks the connection
// with a heartbeat every few seconds.
//
// When the database goes away, the snapshot stays as it was and requests keep being served;
// the loader reconnects by itself (back-off up to 10 s) and reloads everything when it is back.
// ready() is false before the first load and once the database has been away for `db_grace`.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "http/snapshot.hpp"

namespace iotfleet::http {

inline constexpr const char* kNotifyChannel = "iot_serve";

/// Connects, checks the schema version and, when `role` is not empty, SET ROLE to it (the
/// restricted role of migration 0003), so every statement of this connection runs with that
/// role's privileges. A role that is missing or not granted is a usage error with a hint.
core::Result<std::unique_ptr<pqxx::connection>> connect_serving(const std::string& url,
                                                                const std::string& role);

/// Reads devices: all of them, or only `keys` (missing keys are absent from the result).
DeviceMap read_devices(pqxx::transaction_base& tx, const std::vector<std::string>* keys = nullptr);
/// Reads each model's serving firmware (the pinned version, else the newest upload), reusing
/// image bytes `snapshot` already holds.
FirmwareMap read_firmware(pqxx::transaction_base& tx, const Snapshot& snapshot);
/// Reads the given devices and puts them into (or removes them from) the snapshot.
void refresh_devices(pqxx::transaction_base& tx, Snapshot& snapshot,
                     const std::vector<std::string>& keys);

struct LoaderSettings {
  std::string database_url;
  std::string role;
  std::chrono::seconds reload_interval{300};
  std::chrono::seconds db_grace{60};
  std::chrono::milliseconds heartbeat{2000};
};

class Loader {
 public:
  Loader(LoaderSettings settings, Snapshot& snapshot);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void start();
  void stop();

  bool loaded() const { return loaded_.load(); }
  bool database_up() const { return up_.load(); }
  /// Data loaded, and the database up or away for less than the grace period.
  bool ready() const;
  /// Seconds since the data was last confirmed current (0 before the first load).
  double data_age_seconds() const;
  /// Waits until the first load (tests, start-up logs); false on time-out.
  bool wait_loaded(std::chrono::milliseconds timeout);
  std::size_t full_loads() const { return full_loads_.load(); }

 private:
  void run();
  void session(pqxx::connection& conn);
  void full_load(pqxx::connection& conn);
  void confirmed();
  static std::int64_t now_ms();

  LoaderSettings s_;
  Snapshot& snapshot_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> loaded_{false}, up_{false};
  std::atomic<std::int64_t> confirmed_ms_{0}, down_since_ms_{0};
  std::atomic<std::size_t> full_loads_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace iotfleet::http
