#pragma once
// Which route a request target names, decided on the decoded, checked path. No HTTP parsing here
// (Beast does that): only what the endpoint itself must refuse. A target is refused when it is
// not origin-form ("/..."), when percent-encoding is malformed or hides a separator, NUL or
// control byte (%2F, %5C, %00), when a segment is "." or ".." after decoding (path traversal,
// however encoded), or when it is longer than kMaxPathBytes. The query string is ignored.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotfleet::http {

enum class Route : std::uint8_t {
  config,
  firmware,
  firmware_version,
  provisioning,
  ca_cert,
  health_live,
  health_ready,
  metrics,
  unknown,  // a well-formed path that is not a route (404)
  invalid,  // a target refused before routing (400 or 414)
};
inline constexpr std::size_t kRouteCount = 10;

/// "config", "firmware", ... (metrics labels).
const char* route_name(Route r);

inline constexpr std::size_t kMaxPathBytes = 2048;

struct Target {
  Route route = Route::invalid;
  std::string path;    // decoded path, when valid
  int status = 0;      // for Route::invalid: 400 or 414
  std::string reason;  // for Route::invalid: why (for the error body and logs)
};

/// Decodes and checks a request target, then matches it against the routes.
Target route_target(std::string_view target);

/// Percent-decodes a path; nullopt for malformed escapes or escaped '/', '\', NUL, controls.
std::optional<std::string> decode_path(std::string_view path);

/// True when the (decoded) path has an empty, "." or ".." segment, a backslash or a control byte.
bool unsafe_path(std::string_view decoded);

}  // namespace iotfleet::http
