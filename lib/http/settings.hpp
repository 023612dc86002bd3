#pragma once
// iot-serve's settings (issue 4): every one is a flag and an environment variable, flag first.
// Secrets (DATABASE_URL, IOT_SECRET_KEY, IOT_SECRET_PEPPER, WIFI_PASSWORD) are variables only.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/throttle.hpp"
#include "core/config.hpp"
#include "core/error.hpp"

namespace iotfleet::http {

inline constexpr core::Setting kListen{"--listen", "IOT_SERVE_LISTEN", "0.0.0.0:8080"};
inline constexpr core::Setting kThreads{"--threads", "IOT_SERVE_THREADS", ""};
inline constexpr core::Setting kAuthModes{"--auth", "IOT_SERVE_AUTH", "secret"};
inline constexpr core::Setting kTlsCert{"--tls-cert", "IOT_SERVE_TLS_CERT", ""};
inline constexpr core::Setting kTlsKey{"--tls-key", "IOT_SERVE_TLS_KEY", ""};
inline constexpr core::Setting kClientCa{"--client-ca", "IOT_SERVE_CLIENT_CA", ""};
inline constexpr core::Setting kDeviceCaCert{"--device-ca-cert", "IOT_SERVE_DEVICE_CA_CERT", ""};
inline constexpr core::Setting kMaxHeaderBytes{"--max-header-bytes", "IOT_SERVE_MAX_HEADER_BYTES",
                                               "8192"};
inline constexpr core::Setting kMaxConnections{"--max-connections", "IOT_SERVE_MAX_CONNECTIONS",
                                               "20000"};
inline constexpr core::Setting kReadTimeout{"--read-timeout", "IOT_SERVE_READ_TIMEOUT_SECONDS",
                                            "10"};
inline constexpr core::Setting kIdleTimeout{"--idle-timeout", "IOT_SERVE_IDLE_TIMEOUT_SECONDS",
                                            "75"};
inline constexpr core::Setting kWriteTimeout{"--write-timeout", "IOT_SERVE_WRITE_TIMEOUT_SECONDS",
                                             "60"};
inline constexpr core::Setting kDbGrace{"--db-grace", "IOT_SERVE_DB_GRACE_SECONDS", "60"};
inline constexpr core::Setting kReloadInterval{"--reload-interval", "IOT_SERVE_RELOAD_SECONDS",
                                               "300"};
inline constexpr core::Setting kDbRole{"--db-role", "IOT_SERVE_DB_ROLE", "iot_serve"};
inline constexpr core::Setting kDrainDelay{"--drain-delay", "IOT_SERVE_DRAIN_SECONDS", "5"};
inline constexpr core::Setting kShutdownTimeout{"--shutdown-timeout", "IOT_SERVE_SHUTDOWN_SECONDS",
                                                "25"};

// Brute-force protection (issue 11): failures per address and per device key in a sliding
// window, then 429 with Retry-After, blocks doubling per repeat offence.
inline constexpr core::Setting kFailAddressLimit{"--auth-fail-address-limit",
                                                 "IOT_SERVE_AUTH_FAIL_ADDRESS_LIMIT", "30"};
inline constexpr core::Setting kFailDeviceLimit{"--auth-fail-device-limit",
                                                "IOT_SERVE_AUTH_FAIL_DEVICE_LIMIT", "10"};
inline constexpr core::Setting kFailWindow{"--auth-fail-window", "IOT_SERVE_AUTH_FAIL_WINDOW_SECONDS",
                                           "60"};
inline constexpr core::Setting kBlockFirst{"--auth-block", "IOT_SERVE_AUTH_BLOCK_SECONDS", "60"};
inline constexpr core::Setting kBlockMax{"--auth-block-max", "IOT_SERVE_AUTH_BLOCK_MAX_SECONDS",
                                         "3600"};
inline constexpr core::Setting kThrottleCapacity{"--auth-throttle-capacity",
                                                 "IOT_SERVE_AUTH_THROTTLE_CAPACITY", "65536"};
inline constexpr core::Setting kTrustedProxies{"--trusted-proxies", "IOT_SERVE_TRUSTED_PROXIES", ""};

enum AuthMode : unsigned { kAuthJwt = 1, kAuthSecret = 2, kAuthCert = 4 };

struct ServeSettings {
  std::string host = "0.0.0.0";
  unsigned short port = 8080;
  unsigned threads = 1;
  unsigned auth_modes = kAuthSecret;         // AuthMode bits
  std::string tls_cert, tls_key, client_ca;  // PEM files; empty: plain HTTP
  std::string device_ca_cert;                // served on /ca.crt; empty: 404
  std::size_t max_header_bytes = 8192;
  std::size_t max_connections = 20000;
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds idle_timeout{75};
  std::chrono::seconds write_timeout{60};
  std::chrono::seconds db_grace{60};
  std::chrono::seconds reload_interval{300};
  std::string db_role = "iot_serve";  // "" keeps DATABASE_URL's own privileges
  std::chrono::seconds drain_delay{5};
  std::chrono::seconds shutdown_timeout{25};
  auth::ThrottleSettings throttle;
  std::vector<std::string> trusted_proxies;  // addresses or CIDR ranges

  bool tls() const { return !tls_cert.empty(); }

  /// Reads and checks every setting above; a bad value is a usage error naming the flag and
  /// the variable. Threads default to the number of cores.
  static core::Result<ServeSettings> load(const core::Config& config);
};

/// "jwt,secret" → bits; an unknown mode is a usage error.
core::Result<unsigned> parse_auth_modes(const std::string& text);

/// "host:port" or ":port" or "[v6]:port".
core::Result<std::pair<std::string, unsigned short>> parse_listen(const std::string& text);

/// A Config in which the given flag values (by environment variable name) win over the
/// environment, so settings read by other modules (OIDC_*, KEYCLOAK_*, MQTT_*) take flags too.
core::Config config_with_flags(std::map<std::string, std::string> flags_by_env);

}  // namespace iotfleet::http
