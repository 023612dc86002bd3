#include "http/settings.hpp"

#include <charconv>
#include <thread>

namespace iotfleet::http {
namespace {

std::string names(const core::Setting& s) {
  return std::string(s.flag) + " / " + std::string(s.env);
}

std::int64_t whole_number(const core::Config& config, const core::Setting& s, std::int64_t min,
                          std::int64_t max) {
  const std::string text = config.require(s).take();
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    throw core::Failure(core::Error::usage(names(s) + " must be a whole number from " +
                                           std::to_string(min) + " to " + std::to_string(max) +
                                           ", not '" + text + "'"));
  return v;
}

}  // namespace

core::Result<unsigned> parse_auth_modes(const std::string& text) {
  unsigned bits = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    std::string mode = text.substr(pos, comma - pos);
    while (!mode.empty() && mode.front() == ' ') mode.erase(mode.begin());
    while (!mode.empty() && mode.back() == ' ') mode.pop_back();
    if (mode == "jwt")
      bits |= kAuthJwt;
    else if (mode == "secret")
      bits |= kAuthSecret;
    else if (mode == "cert")
      bits |= kAuthCert;
    else
      return core::Error::usage(
          "--auth / IOT_SERVE_AUTH: '" + mode +
          "' is not an authentication mode (jwt, secret, cert; a comma list)");
    pos = comma + 1;
  }
  return bits;
}

core::Result<std::pair<std::string, unsigned short>> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  const auto bad = [&] {
    return core::Error::usage("--listen / IOT_SERVE_LISTEN: '" + text +
                              "' is not HOST:PORT (e.g. 0.0.0.0:8080, [::]:8080, :8080)");
  };
  if (colon == std::string::npos) return bad();
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty())
    return bad();
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  return std::make_pair(host, static_cast<unsigned short>(port));
}

core::Result<ServeSettings> ServeSettings::load(const core::Config& config) {
  return core::capture([&]() -> ServeSettings {
    ServeSettings s;
    auto listen = parse_listen(config.require(kListen).take()).take();
    s.host = listen.first;
    s.port = listen.second;
    if (config.get(kThreads))
      s.threads = static_cast<unsigned>(whole_number(config, kThreads, 1, 256));
    else
      s.threads = std::max(1u, std::thread::hardware_concurrency());
    s.auth_modes = parse_auth_modes(config.require(kAuthModes).take()).take();
    s.tls_cert = config.get(kTlsCert).value_or("");
    s.tls_key = config.get(kTlsKey).value_or("");
    s.client_ca = config.get(kClientCa).value_or("");
    if (s.tls_cert.empty() != s.tls_key.empty())
      throw core::Failure(
          core::Error::usage("--tls-cert and --tls-key go together (TLS needs both)"));
    if (!s.client_ca.empty() && s.tls_cert.empty())
      throw core::Failure(
          core::Error::usage("--client-ca needs TLS: give --tls-cert and --tls-key"));
    if ((s.auth_modes & kAuthCert) && s.client_ca.empty())
      throw core::Failure(core::Error::usage(
          "--auth cert needs --client-ca (and --tls-cert, --tls-key): client certificates are "
          "verified by TLS"));
    s.device_ca_cert = config.get(kDeviceCaCert).value_or("");
    s.max_header_bytes =
        static_cast<std::size_t>(whole_number(config, kMaxHeaderBytes, 1024, 1 << 20));
    s.max_connections = static_cast<std::size_t>(whole_number(config, kMaxConnections, 1, 1000000));
    s.read_timeout = std::chrono::seconds(whole_number(config, kReadTimeout, 1, 3600));
    s.idle_timeout = std::chrono::seconds(whole_number(config, kIdleTimeout, 1, 86400));
    s.write_timeout = std::chrono::seconds(whole_number(config, kWriteTimeout, 1, 3600));
    s.db_grace = std::chrono::seconds(whole_number(config, kDbGrace, 0, 86400 * 7));
    s.reload_interval = std::chrono::seconds(whole_number(config, kReloadInterval, 5, 86400));
    s.db_role = config.get(kDbRole).value_or("");
    if (s.db_role == "none") s.db_role.clear();
    s.drain_delay = std::chrono::seconds(whole_number(config, kDrainDelay, 0, 600));
    s.shutdown_timeout = std::chrono::seconds(whole_number(config, kShutdownTimeout, 1, 3600));
    s.throttle.address_limit = static_cast<int>(whole_number(config, kFailAddressLimit, 1, 1000000));
    s.throttle.device_limit = static_cast<int>(whole_number(config, kFailDeviceLimit, 1, 1000000));
    s.throttle.window = std::chrono::seconds(whole_number(config, kFailWindow, 1, 86400));
    s.throttle.first_block = std::chrono::seconds(whole_number(config, kBlockFirst, 1, 86400));
    s.throttle.max_block = std::chrono::seconds(
        whole_number(config, kBlockMax, s.throttle.first_block.count(), 7 * 86400));
    s.throttle.capacity =
        static_cast<std::size_t>(whole_number(config, kThrottleCapacity, 16, 10000000));
    auth::TrustedProxies check;
    const std::string proxies = config.get(kTrustedProxies).value_or("");
    for (std::string_view rest = proxies; !rest.empty();) {
      const auto comma = rest.find(',');
      const auto item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.find_first_not_of(' ') == std::string_view::npos) continue;
      std::string error;
      if (!check.add(item, &error))
        throw core::Failure(core::Error::usage("--trusted-proxies / IOT_SERVE_TRUSTED_PROXIES: " + error));
      s.trusted_proxies.emplace_back(item);
    }
    return s;
  });
}

core::Config config_with_flags(std::map<std::string, std::string> flags_by_env) {
  return core::Config([flags = std::move(flags_by_env)](const std::string& name) {
    if (const auto it = flags.find(name); it != flags.end()) return std::optional(it->second);
    return core::process_env(name);
  });
}

}  // namespace iotfleet::http
