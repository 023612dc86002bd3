#pragma once
// HTTP behind a small interface (STYLE.md §6): the Keycloak admin client and the JWKS fetcher
// talk through HttpClient, so tests can substitute a fake. CurlHttpClient is the real one:
// libcurl with TLS verification always on, an optional private CA file, timeouts, keep-alive.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace iotfleet::idp {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case

  /// The first header of that name (case-insensitive), without surrounding blanks.
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{10000};  // the whole exchange
  std::string ca_file;                       // empty: the system's trust store
  std::size_t max_response_bytes = 4u << 20;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  /// Any HTTP status is a response. Transport failures are errors whose message is the cause
  /// only (callers name the service): a failed certificate check is ErrorKind::failure (retrying
  /// will not help), everything else (refused, DNS, timeout, reset) ErrorKind::unavailable.
  virtual core::Result<HttpResponse> send(const HttpRequest& request) = 0;
};

/// One reused libcurl easy handle (connection keep-alive). Not thread-safe: one per thread.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  core::Result<HttpResponse> send(const HttpRequest& request) override;

 private:
  HttpOptions options_;
  void* handle_;  // CURL*
};

/// Percent-encodes everything but RFC 3986 unreserved characters (for path segments, queries
/// and application/x-www-form-urlencoded bodies).
std::string url_encode(std::string_view s);

/// "a=1&b=2" with both sides encoded.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace iotfleet::idp
