#include "devsim/curl_http.hpp"

#include <curl/curl.h>

#include <charconv>
#include <string>

namespace iotfleet::devsim {
namespace {

using iot_device::NetResult;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

struct Exchange {
  void* curl;
  iot_device::HttpResponse* response;
  iot_device::BodySink* body;
  bool aborted = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* context) {
  auto* x = static_cast<Exchange*>(context);
  parse_header_line(std::string_view(data, size * n), *x->response);
  // The status is known from the status line on: the core reads it while the body arrives
  // (a 200 to a ranged request must not be written at the range's offset).
  long status = 0;
  if (curl_easy_getinfo(static_cast<CURL*>(x->curl), CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
    x->response->status = static_cast<int>(status);
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* context) {
  auto* x = static_cast<Exchange*>(context);
  if (!x->body->write(reinterpret_cast<const std::uint8_t*>(data), size * n)) {
    x->aborted = true;
    return 0;  // CURLE_WRITE_ERROR
  }
  return size * n;
}

}  // namespace

void parse_header_line(std::string_view line, iot_device::HttpResponse& r) {
  if (line.substr(0, 5) == "HTTP/") {
    r = iot_device::HttpResponse{};
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const auto name = trim(line.substr(0, colon));
  const auto value = trim(line.substr(colon + 1));
  if (iequals(name, "ETag")) {
    if (!r.etag.assign(value)) r.etag.clear();
  } else if (iequals(name, "X-Firmware-Version")) {
    if (!r.firmware_version.assign(value)) r.firmware_version.clear();
  } else if (iequals(name, "X-Rotation")) {
    r.rotation_pending = iequals(value, "pending");
  } else if (iequals(name, "Retry-After")) {
    if (!parse_u32(value, r.retry_after_s)) r.retry_after_s = 0;  // an HTTP date: not used
  } else if (iequals(name, "Content-Range")) {
    // bytes a-b/total
    if (value.substr(0, 6) != "bytes ") return;
    const auto range = value.substr(6);
    const auto dash = range.find('-');
    const auto slash = range.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return;
    std::uint32_t first = 0, total = 0;
    if (parse_u32(range.substr(0, dash), first) && parse_u32(range.substr(slash + 1), total)) {
      r.range_first = first;
      r.range_total = total;
    }
  }
}

NetResult net_result(int code) {
  switch (static_cast<CURLcode>(code)) {
    case CURLE_OK:
      return NetResult::ok;
    case CURLE_OPERATION_TIMEDOUT:
      return NetResult::timeout;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return NetResult::aborted;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return NetResult::tls;
    default:
      return NetResult::unreachable;  // refused, reset, DNS, nothing received, …
  }
}

CurlHttp::CurlHttp(std::chrono::milliseconds timeout) : handle_(curl_easy_init()), timeout_(timeout) {}

CurlHttp::~CurlHttp() {
  if (handle_) curl_easy_cleanup(static_cast<CURL*>(handle_));
}

void CurlHttp::reset() {
  if (handle_) curl_easy_cleanup(static_cast<CURL*>(handle_));
  handle_ = curl_easy_init();
}

NetResult CurlHttp::perform(const iot_device::HttpRequest& request,
                            iot_device::HttpResponse& response, iot_device::BodySink& body) {
  response = iot_device::HttpResponse{};
  auto* curl = static_cast<CURL*>(handle_);
  if (!curl) return NetResult::unreachable;
  curl_easy_reset(curl);  // keeps the connection cache: the next request reuses the connection

  const std::string url(request.url);
  curl_slist* headers = nullptr;
  const auto header = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    std::string line(name);
    line.append(": ").append(value);
    headers = curl_slist_append(headers, line.c_str());
  };
  header("Authorization", request.authorization);
  header("If-None-Match", request.if_none_match);
  if (request.range_from > 0) header("If-Range", request.if_range);
  const std::string range =
      request.range_from > 0 ? std::to_string(request.range_from) + "-" : std::string();
  const std::string body_text(request.body);

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  if (request.method == iot_device::HttpRequest::Method::post) {
    header("Content-Type", request.content_type);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body_text.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body_text.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }
  if (!range.empty()) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for POSTs
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  Exchange exchange{curl, &response, &body};
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);

  const auto started = std::chrono::steady_clock::now();
  const CURLcode rc = curl_easy_perform(curl);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  curl_slist_free_all(headers);
  ++requests_;

  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && exchange.aborted)) {
    response = iot_device::HttpResponse{};
    return net_result(rc);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  latencies_ms_.push_back(std::chrono::duration<float, std::milli>(elapsed).count());
  return exchange.aborted ? NetResult::aborted : NetResult::ok;
}

}  // namespace iotfleet::devsim
