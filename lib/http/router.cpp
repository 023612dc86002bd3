#include "http/router.hpp"

#include <array>
#include <utility>

namespace iotfleet::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::array<std::pair<std::string_view, Route>, 8> kRoutes{{
    {"/iot/config", Route::config},
    {"/iot/firmware", Route::firmware},
    {"/iot/firmware-version", Route::firmware_version},
    {"/iot/provisioning", Route::provisioning},
    {"/ca.crt", Route::ca_cert},
    {"/health/live", Route::health_live},
    {"/health/ready", Route::health_ready},
    {"/metrics", Route::metrics},
}};

Target refuse(int status, std::string reason) {
  Target t;
  t.status = status;
  t.reason = std::move(reason);
  return t;
}

}  // namespace

const char* route_name(Route r) {
  switch (r) {
    case Route::config:
      return "config";
    case Route::firmware:
      return "firmware";
    case Route::firmware_version:
      return "firmware_version";
    case Route::provisioning:
      return "provisioning";
    case Route::ca_cert:
      return "ca_cert";
    case Route::health_live:
      return "health_live";
    case Route::health_ready:
      return "health_ready";
    case Route::metrics:
      return "metrics";
    case Route::unknown:
      return "unknown";
    case Route::invalid:
      return "invalid";
  }
  return "unknown";
}

std::optional<std::string> decode_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= path.size()) return std::nullopt;
    const int hi = hex_value(path[i + 1]), lo = hex_value(path[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const auto byte = static_cast<unsigned char>(hi * 16 + lo);
    // An encoded separator or control byte is never part of a route: refuse rather than guess.
    if (byte == '/' || byte == '\\' || byte < 0x20 || byte == 0x7f) return std::nullopt;
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

bool unsafe_path(std::string_view decoded) {
  if (decoded.empty() || decoded.front() != '/') return true;
  for (const char c : decoded)
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  std::size_t pos = 1;
  while (pos <= decoded.size()) {
    const std::size_t slash = std::min(decoded.find('/', pos), decoded.size());
    const std::string_view segment = decoded.substr(pos, slash - pos);
    if (segment == "." || segment == "..") return true;
    if (segment.empty() && slash != decoded.size()) return true;  // "//" inside the path
    pos = slash + 1;
  }
  return false;
}

Target route_target(std::string_view target) {
  if (target.size() > kMaxPathBytes) return refuse(414, "the request target is too long");
  if (target.empty() || target.front() != '/')
    return refuse(400, "the request target must be a path starting with '/'");
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  auto decoded = decode_path(path);
  if (!decoded) return refuse(400, "the path has malformed or forbidden percent-encoding");
  if (unsafe_path(*decoded)) return refuse(400, "the path has '.', '..' or empty segments");
  Target t;
  t.path = std::move(*decoded);
  t.route = Route::unknown;
  for (const auto& [p, r] : kRoutes)
    if (t.path == p) t.route = r;
  return t;
}

}  // namespace iotfleet::http
