#pragma once
// How the toolkit reaches its MQTT broker (Mosquitto, specs/platform.md): the broker URL, TLS
// files, credentials and client id, read from flags > environment > defaults (core::Config).
// The password is a secret: it comes from MQTT_PASSWORD or MQTT_PASSWORD_FILE, never a flag,
// and no message or log line contains it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"

namespace iotfleet::mqtt {

/// mqtt://host[:port] (default 1883) or mqtts://host[:port] (default 8883). With TLS the host
/// must be a name the broker's certificate carries: the host name is verified.
inline constexpr core::Setting kMqttUrl{"--mqtt-url", "MQTT_URL", ""};
/// PEM CA bundle that signed the broker's certificate (mqtts:// only; default: the system store).
inline constexpr core::Setting kMqttCaFile{"--mqtt-ca-file", "MQTT_CA_FILE", ""};
/// PEM client certificate and its key, for brokers that require one (mqtts:// only). The key may
/// also be inside the certificate file.
inline constexpr core::Setting kMqttClientCert{"--mqtt-client-cert", "MQTT_CLIENT_CERT", ""};
inline constexpr core::Setting kMqttClientKey{"--mqtt-client-key", "MQTT_CLIENT_KEY", ""};
inline constexpr core::Setting kMqttUsername{"--mqtt-username", "MQTT_USERNAME", ""};
inline constexpr core::Setting kMqttPassword{"", "MQTT_PASSWORD", ""};  // a secret: never a flag
/// Default: <program>-<hostname>-<pid>. Two connections with one id take each other's place.
inline constexpr core::Setting kMqttClientId{"--mqtt-client-id", "MQTT_CLIENT_ID", ""};

inline constexpr std::uint16_t kDefaultPort = 1883;
inline constexpr std::uint16_t kDefaultTlsPort = 8883;

struct BrokerUrl {
  bool tls = false;
  std::string host;  // IPv6 literals without their brackets
  std::uint16_t port = 0;
  std::string username;                 // from "user@" in the URL, if any
  std::optional<std::string> password;  // from "user:password@"; never printed

  /// The URI paho-mqtt-c connects to: tcp://host:port or ssl://host:port.
  std::string paho_uri() const;
  /// For messages: mqtt[s]://[user@]host:port, never the password.
  std::string display() const;
};

/// Parses MQTT_URL. Every problem is a usage error naming the (redacted) URL, e.g.
/// "MQTT_URL 'http://x' must start with mqtt:// or mqtts://".
core::Result<BrokerUrl> parse_broker_url(std::string_view url);

/// The URL with the password of any "user:password@" replaced by "***" (also for URLs that do
/// not parse), so it can be shown.
std::string redact_url(std::string_view url);

struct Settings {
  BrokerUrl broker;
  std::string ca_file;      // empty: the system trust store
  std::string client_cert;  // empty: no client certificate
  std::string client_key;   // empty: the key is in client_cert, or there is no certificate
  std::string username;     // empty: anonymous
  std::optional<std::string> password;
  std::string client_id;
};

/// Values given on the command line; nullopt when the flag was not given. No password here.
struct SettingFlags {
  std::optional<std::string> url{}, ca_file{}, client_cert{}, client_key{}, username{}, client_id{};
};

/// Reads and checks every MQTT setting: the URL parses, TLS files exist and are only given with
/// mqtts://, a key comes with a certificate, a password comes with a user name and never in a
/// --mqtt-url flag. MQTT_USERNAME / MQTT_PASSWORD win over credentials in the URL. Problems are
/// usage errors; an unreadable MQTT_PASSWORD_FILE too. `program` names the default client id
/// (empty: the process's own name).
core::Result<Settings> load_settings(const core::Config& config, const SettingFlags& flags = {},
                                     std::string_view program = {});

/// <program>-<hostname>-<pid>, with characters other than [A-Za-z0-9._-] replaced by '-'.
std::string default_client_id(std::string_view program = {});

}  // namespace iotfleet::mqtt
