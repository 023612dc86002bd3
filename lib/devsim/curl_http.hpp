#pragma once
// The device core's Http port over libcurl: one easy handle per simulated device, so its
// keep-alive connection is reused like the ESP32's esp_http_client. Not thread-safe: one device
// is stepped by one worker at a time.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "iot_device/ports.hpp"

namespace iotfleet::devsim {

class CurlHttp final : public iot_device::Http {
 public:
  /// `timeout` bounds a whole exchange (connect included).
  explicit CurlHttp(std::chrono::milliseconds timeout);
  ~CurlHttp();
  CurlHttp(const CurlHttp&) = delete;
  CurlHttp& operator=(const CurlHttp&) = delete;

  iot_device::NetResult perform(const iot_device::HttpRequest& request,
                                iot_device::HttpResponse& response,
                                iot_device::BodySink& body) override;

  /// Closes the connection (a device going offline or rebooting).
  void reset();

  /// Milliseconds of every exchange that got an HTTP answer, in order.
  const std::vector<float>& latencies_ms() const { return latencies_ms_; }
  std::uint64_t requests() const { return requests_; }

 private:
  void* handle_ = nullptr;
  std::chrono::milliseconds timeout_;
  std::vector<float> latencies_ms_;
  std::uint64_t requests_ = 0;
};

/// The core's NetResult for a libcurl result code (CURLE_*).
iot_device::NetResult net_result(int curl_code);

/// Fills the header fields the core reads from one response header line ("Name: value\r\n").
/// A status line ("HTTP/1.1 200 OK") starts a new response: the fields are cleared.
void parse_header_line(std::string_view line, iot_device::HttpResponse& response);

}  // namespace iotfleet::devsim
