#pragma once
// iot-serve assembled from its settings: the snapshot and its loader, authentication for the
// enabled modes, the rotation pieces, the handlers and the server. tools/iot-serve/main.cpp
// parses flags and calls run_until_signal(); tests create a Service in-process.

#include <chrono>
#include <memory>

#include "core/config.hpp"
#include "core/error.hpp"
#include "http/handlers.hpp"
#include "http/loader.hpp"
#include "http/server.hpp"
#include "http/settings.hpp"

namespace iotfleet::http {

class Service {
 public:
  /// Reads every setting and secret (IOT_SECRET_KEY always; IOT_SECRET_PEPPER for --auth
  /// secret; OIDC_* for --auth jwt) and checks the database role. Binds nothing yet.
  static core::Result<std::unique_ptr<Service>> create(const core::Config& config);
  ~Service();

  /// Starts the loader and the server. The database may be down: the endpoint then answers
  /// (not ready) and the loader keeps trying.
  core::Status start();
  unsigned short port() const;
  /// Readiness fails first; after `drain_delay` the server stops gracefully.
  void shutdown();
  /// Blocks SIGTERM and SIGINT, starts, waits for one of them, shuts down. The exit code.
  static int run_until_signal(const core::Config& config);

  Loader& loader() { return *loader_; }
  Snapshot& snapshot() { return snapshot_; }
  Metrics& metrics() { return metrics_; }
  const ServeSettings& settings() const { return settings_; }

 private:
  Service() = default;
  struct Parts;
  ServeSettings settings_;
  Metrics metrics_;
  Snapshot snapshot_;
  std::unique_ptr<Parts> parts_;
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<Server> server_;
  std::atomic<bool> draining_{false};
};

}  // namespace iotfleet::http
