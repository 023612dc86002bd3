// iot-serve: the device-facing HTTP endpoint (config, firmware, provisioning during rotation, the
// device CA certificate, health and metrics). The work is in lib/http.
#include <sys/resource.h>

#include <map>
#include <optional>

#include "auth/verifier.hpp"
#include "cli/app.hpp"
#include "core/log.hpp"
#include "fleet/broker_sync.hpp"
#include "http/service.hpp"
#include "http/settings.hpp"
#include "provision/package.hpp"

int main(int argc, char** argv) {
  using namespace iotfleet;
  core::log::init("iot-serve");
  CLI::App app{
      "iot-serve: the endpoint ESP32 devices pull their configuration, firmware and (during a\n"
      "rotation) their new credential from. Serves from memory, kept current with PostgreSQL\n"
      "(DATABASE_URL) by LISTEN/NOTIFY; keeps serving when the database blips. Secrets come from\n"
      "the environment: IOT_SECRET_KEY (always), IOT_SECRET_PEPPER (--auth secret).",
      "iot-serve"};
  app.set_version_flag("--version", "iot-serve 0.1.0");
  std::map<std::string, std::optional<std::string>> flags;
  const auto option = [&](const core::Setting& s, const std::string& help) {
    std::string text = help + " (env " + std::string(s.env);
    if (!s.fallback.empty()) text += ", default " + std::string(s.fallback);
    app.add_option(std::string(s.flag), flags[std::string(s.env)], text + ")");
  };
  option(http::kListen, "Address and port to listen on");
  option(http::kThreads, "Worker threads (default: the number of cores)");
  option(http::kAuthModes, "Authentication modes, a comma list of jwt, secret, cert");
  option(http::kTlsCert, "Serve HTTPS with this certificate chain (PEM)");
  option(http::kTlsKey, "The private key of --tls-cert (PEM)");
  option(http::kClientCa,
         "Verify client certificates against this CA (PEM); needed by --auth cert");
  option(http::kDeviceCaCert, "The device CA certificate served on /ca.crt (PEM)");
  option(http::kMaxHeaderBytes, "Largest request line plus headers, in bytes");
  option(http::kMaxConnections, "Connections held at once; more are closed at accept");
  option(http::kReadTimeout, "Seconds for a request (or TLS handshake) once it started");
  option(http::kIdleTimeout, "Seconds an idle keep-alive connection is kept");
  option(http::kWriteTimeout, "Seconds to send one response");
  option(http::kDbGrace, "Seconds without the database before /health/ready fails");
  option(http::kReloadInterval, "Seconds between full reloads (a safety net for NOTIFY)");
  option(http::kDbRole, "Database role for every statement ('none': DATABASE_URL's own)");
  option(http::kDrainDelay, "Seconds between failing readiness and stopping, on SIGTERM");
  option(http::kShutdownTimeout, "Seconds requests in flight get to finish, on SIGTERM");
  option(http::kFailAddressLimit, "Failed authentications per client address before 429");
  option(http::kFailDeviceLimit, "Failed authentications per device key before 429");
  option(http::kFailWindow, "Sliding window, in seconds, the failure limits count in");
  option(http::kBlockFirst, "Seconds of a first block; doubled per repeat offence");
  option(http::kBlockMax, "Longest block, in seconds");
  option(http::kThrottleCapacity, "Addresses and device keys remembered (memory bound)");
  option(http::kTrustedProxies,
         "Proxies (addresses or CIDR ranges, comma list) whose X-Forwarded-For is believed");
  option(auth::kIssuerUrl, "OIDC issuer of device tokens, for --auth jwt");
  option(auth::kAudience, "Audience device tokens must carry, for --auth jwt");
  option(auth::kClockSkew, "Allowed clock skew for token times and rotation proofs");
  option(auth::kAllowedAlgorithms, "Accepted token signature algorithms");
  option(auth::kOidcCaFile, "CA file for the OIDC issuer's TLS");
  option(provision::kBaseUrl, "This endpoint's URL, written into provisioning packages");
  option(provision::kDeviceMqttUrl, "MQTT URL for devices, written into provisioning packages");
  option(provision::kTokenUrl, "OIDC token URL, written into provisioning packages");
  option(fleet::kMqttIdentities,
         "dynsec: set a device's new password on the broker (MQTT_URL, an admin of Mosquitto's "
         "dynamic-security plugin) when its rotation completes; none");
  option(provision::kWifiSsid, "WiFi network written into provisioning packages");
  app.footer(
      "Routes: /iot/config, /iot/firmware, /iot/firmware-version, /iot/provisioning (devices,\n"
      "authenticated), /ca.crt, /health/live, /health/ready, /metrics. SIGTERM: readiness fails,\n"
      "then in-flight requests finish. Exit codes: 0 stopped by a signal; 2 bad settings;\n"
      "5 the address could not be bound.");
  app.callback([&] {
    std::map<std::string, std::string> given;
    for (const auto& [env, value] : flags)
      if (value) given[env] = *value;
    // Thousands of keep-alive connections need as many descriptors as the hard limit allows.
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      setrlimit(RLIMIT_NOFILE, &limit);
    }
    const int code = http::Service::run_until_signal(http::config_with_flags(given));
    if (code != 0) std::exit(code);
  });
  return cli::run(app, argc, argv);
}
