#pragma once
// A private Debian Mosquitto for the PKI and broker-identity tests, started with whatever
// listener configuration a test writes (tests/integration/mqtt/broker.hpp has a fixed one).
// Runs on loopback ports of its own; stopped when the object goes away.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace iotfleet::test_support {

class Mosquitto {
 public:
  /// Writes `config` (listener blocks naming files inside `dir`) to dir/mosquitto.conf, makes
  /// dir and everything in it readable by the 'mosquitto' user the broker drops to (and dir's
  /// parent traversable), starts it
  /// and waits until every port in `ports` accepts connections. Throws with the broker's log
  /// when it exits or does not listen within 10 s.
  Mosquitto(const std::filesystem::path& dir, const std::string& config,
            const std::vector<std::uint16_t>& ports);
  ~Mosquitto();
  Mosquitto(const Mosquitto&) = delete;
  Mosquitto& operator=(const Mosquitto&) = delete;

  /// The broker's log so far (for messages and for checking why it refused a client).
  std::string log() const;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

/// A broker running the dynamic-security plugin on 127.0.0.1:port, no anonymous clients; the
/// plugin's admin is "admin" with admin_password (mosquitto_ctrl dynsec init). State in dir.
std::unique_ptr<Mosquitto> start_dynsec_broker(const std::filesystem::path& dir, std::uint16_t port,
                                               const std::string& admin_password);

}  // namespace iotfleet::test_support
