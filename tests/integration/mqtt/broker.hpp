#pragma once
// Brokers for the MQTT integration tests: the shared Mosquitto that scripts/services.sh started
// (MQTT_URL; a test without it fails, never skips), and a private Mosquitto a test starts for
// itself with a password listener and two TLS listeners.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "mqtt/settings.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {

/// MQTT_URL of the shared broker; throws (failing the test) with what to do when it is missing.
std::string shared_mqtt_url();

/// A random suffix for topics and client ids, so tests run in parallel.
std::string unique_suffix();

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
std::uint16_t unused_port();

/// mqtt::load_settings over exactly these variables (no process environment).
mqtt::Settings mqtt_settings(const std::map<std::string, std::string>& env);
/// The error of mqtt::load_settings over exactly these variables; fails the test if it succeeds.
core::Error mqtt_settings_error(const std::map<std::string, std::string>& env);

class PrivateBroker {
 public:
  /// Starts Mosquitto on three loopback ports: `password_port` (allow_anonymous false, the
  /// password file of ../shared/fixtures/mosquitto, an ACL letting sensor_ab12 use only
  /// sensors/sensor_ab12/# and os2iot-backend everything), `tls_port` (anonymous, a fresh CA and
  /// a server certificate for CN=localhost / DNS:localhost, key P-256), and `cert_port` (TLS
  /// that requires a client certificate from the same CA, whose CN becomes the user name).
  PrivateBroker();
  ~PrivateBroker();
  PrivateBroker(const PrivateBroker&) = delete;
  PrivateBroker& operator=(const PrivateBroker&) = delete;

  std::uint16_t password_port() const { return password_port_; }
  std::uint16_t tls_port() const { return tls_port_; }
  std::uint16_t cert_port() const { return cert_port_; }
  /// A client certificate (CN=dev-1) signed by ca_file(), and its key.
  std::string client_cert() const { return (dir_.path() / "client.crt").string(); }
  std::string client_key() const { return (dir_.path() / "client.key").string(); }
  std::string ca_file() const { return (dir_.path() / "ca.crt").string(); }
  /// A CA that signed nothing the broker uses.
  std::string other_ca_file() const { return (dir_.path() / "other-ca.crt").string(); }

 private:
  TempDir dir_;
  std::uint16_t password_port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::uint16_t cert_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace iotfleet::test_support
