#include "mqtt/settings.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace iotfleet::mqtt {
namespace {

constexpr std::size_t kMaxMqttString = 65535;  // MQTT strings carry a 16-bit length

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= s.size()) return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc() || end != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string sanitize_id_part(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (!host_char(c)) c = '-';
  return out;
}

core::Error setting_error(const core::Setting& s, const std::string& problem) {
  return core::Error::usage(std::string(s.env) + " " + problem);
}

// A TLS file setting: must name a readable file.
std::optional<core::Error> check_file(const core::Setting& s, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return setting_error(s, "'" + path + "' is not a file");
  if (::access(path.c_str(), R_OK) != 0)
    return setting_error(s, "'" + path + "' is not readable: " + std::strerror(errno));
  return std::nullopt;
}

}  // namespace

std::string BrokerUrl::paho_uri() const {
  const std::string h = host.find(':') == std::string::npos ? host : "[" + host + "]";
  return (tls ? "ssl://" : "tcp://") + h + ":" + std::to_string(port);
}

std::string BrokerUrl::display() const {
  std::string out = tls ? "mqtts://" : "mqtt://";
  if (!username.empty()) out += username + (password ? ":***@" : "@");
  out += host.find(':') == std::string::npos ? host : "[" + host + "]";
  return out + ":" + std::to_string(port);
}

std::string redact_url(std::string_view url) {
  const auto scheme = url.find("://");
  const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  const auto colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

core::Result<BrokerUrl> parse_broker_url(std::string_view url) {
  const std::string shown = redact_url(url);
  const auto bad = [&](const std::string& why) {
    return core::Error::usage("MQTT_URL '" + shown + "' " + why,
                              "give mqtt://host:port, or mqtts://host:port for TLS");
  };
  if (url.empty())
    return core::Error::usage("MQTT_URL is empty",
                              "give mqtt://host:port, or mqtts://host:port for TLS");
  BrokerUrl b;
  const auto scheme_end = url.find("://");
  const std::string scheme =
      scheme_end == std::string_view::npos ? "" : lower(url.substr(0, scheme_end));
  if (scheme == "mqtt")
    b.tls = false;
  else if (scheme == "mqtts")
    b.tls = true;
  else
    return bad("must start with mqtt:// or mqtts://");

  std::string_view rest = url.substr(scheme_end + 3);
  const auto end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) {
    if (end != rest.size() - 1 || rest[end] != '/')
      return bad("must not have a path, query or fragment");
    rest.remove_suffix(1);
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user || user->empty()) return bad("has an invalid user name before '@'");
    b.username = *user;
    if (colon != std::string_view::npos) {
      auto password = percent_decode(userinfo.substr(colon + 1));
      if (!password) return bad("has an invalid percent-encoding in its password");
      b.password = *password;
    }
  }

  std::string_view port_text;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an IPv6 address without its closing ']'");
    const std::string_view host = rest.substr(1, close - 1);
    if (host.empty() ||
        host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
      return bad("has an invalid IPv6 address '" + std::string(host) + "'");
    b.host = host;
    rest = rest.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad("has text after the IPv6 address");
    if (!rest.empty()) port_text = rest.substr(1);
    if (rest == ":") return bad("has an empty port");
  } else {
    const auto colon = rest.find(':');
    if (colon != rest.rfind(':'))
      return bad("has more than one ':' (write an IPv6 address in brackets: mqtt://[::1]:1883)");
    const std::string_view host = rest.substr(0, colon);
    if (host.empty()) return bad("has no host");
    for (char c : host)
      if (!host_char(c)) return bad("has an invalid host '" + std::string(host) + "'");
    b.host = host;
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return bad("has an empty port");
    }
  }
  if (port_text.empty()) {
    b.port = b.tls ? kDefaultTlsPort : kDefaultPort;
  } else {
    unsigned value = 0;
    const auto [p, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return bad("has an invalid port '" + std::string(port_text) + "' (1-65535)");
    b.port = static_cast<std::uint16_t>(value);
  }
  return b;
}

std::string default_client_id(std::string_view program) {
  std::string name(program.empty() ? std::string_view(program_invocation_short_name) : program);
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown");
  return sanitize_id_part(name) + "-" + sanitize_id_part(host) + "-" + std::to_string(::getpid());
}

core::Result<Settings> load_settings(const core::Config& config, const SettingFlags& flags,
                                     std::string_view program) {
  return core::capture([&]() -> core::Result<Settings> {
    auto url = config.require(kMqttUrl, flags.url);
    if (!url) return url.error();
    auto broker = parse_broker_url(*url);
    if (!broker) return broker.error();
    if (flags.url && broker->password)
      return core::Error::usage(
          "--mqtt-url must not contain a password (it would show in shell history and ps)",
          "set MQTT_PASSWORD or MQTT_PASSWORD_FILE instead");

    Settings s;
    s.broker = *broker;
    s.ca_file = config.get(kMqttCaFile, flags.ca_file).value_or("");
    s.client_cert = config.get(kMqttClientCert, flags.client_cert).value_or("");
    s.client_key = config.get(kMqttClientKey, flags.client_key).value_or("");
    s.username = config.get(kMqttUsername, flags.username).value_or(broker->username);
    s.password = config.get(kMqttPassword);
    if (!s.password && s.username == broker->username) s.password = broker->password;
    s.client_id = config.get(kMqttClientId, flags.client_id).value_or(default_client_id(program));

    const std::pair<const core::Setting*, const std::string*> files[] = {
        {&kMqttCaFile, &s.ca_file},
        {&kMqttClientCert, &s.client_cert},
        {&kMqttClientKey, &s.client_key}};
    for (const auto& [setting, path] : files) {
      if (path->empty()) continue;
      if (!s.broker.tls)
        return setting_error(*setting, "is set but MQTT_URL '" + s.broker.display() +
                                           "' does not use TLS: use mqtts:// or unset it");
      if (auto e = check_file(*setting, *path)) return *e;
    }
    if (!s.client_key.empty() && s.client_cert.empty())
      return core::Error::usage("MQTT_CLIENT_KEY is set without MQTT_CLIENT_CERT");
    if (s.password && s.username.empty())
      return core::Error::usage("MQTT_PASSWORD is set but MQTT_USERNAME is not",
                                "MQTT sends a password only together with a user name");
    if (s.password && s.password->size() > kMaxMqttString)
      return core::Error::usage("MQTT_PASSWORD is longer than 65535 bytes");
    if (s.username.size() > kMaxMqttString || s.username.find('\0') != std::string::npos)
      return core::Error::usage("MQTT_USERNAME is longer than 65535 bytes or contains NUL");
    if (s.client_id.empty() || s.client_id.size() > kMaxMqttString ||
        s.client_id.find('\0') != std::string::npos)
      return core::Error::usage("MQTT_CLIENT_ID must be 1 to 65535 bytes without NUL");
    return s;
  });
}

}  // namespace iotfleet::mqtt
