#pragma once
// The device core's view of the hardware and the network. The ESP-IDF glue (firmware/esp-idf)
// implements these over esp_http_client, esp_mqtt, nvs_flash, esp_ota_ops and mbedTLS; iot-devsim
// (lib/devsim) over libcurl, paho, files and OpenSSL. Portable C++17: no exceptions, no RTTI, no
// allocation. Every buffer belongs to the caller; adapters copy what they must keep.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "iot_device/fixed_string.hpp"

namespace iot_device {

/// How a network operation ended below HTTP/MQTT (an HTTP error status is still `ok`).
enum class NetResult : std::uint8_t {
  ok,
  unreachable,  // DNS, refused, reset
  timeout,
  tls,          // handshake or certificate failure
  aborted,      // the BodySink returned false
};

struct HttpRequest {
  enum class Method : std::uint8_t { get, post };
  Method method = Method::get;
  std::string_view url;            // absolute: base_url + path, or the token URL
  std::string_view authorization;  // the whole header value ("Bearer …", "Basic …") or empty
  std::string_view if_none_match;  // an entity tag as received, or empty
  std::string_view content_type;   // POST only
  std::string_view body;           // POST only
  std::uint32_t range_from = 0;    // > 0: sends "Range: bytes=<range_from>-"
  std::string_view if_range;       // with range_from: the entity tag the partial body must match
};

/// The headers the core reads; the adapter fills what the server sent (too long: left empty).
struct HttpResponse {
  int status = 0;
  FixedString<80> etag;              // ETag, as sent (quotes included)
  FixedString<40> firmware_version;  // X-Firmware-Version
  bool rotation_pending = false;     // X-Rotation: pending
  std::uint32_t retry_after_s = 0;   // Retry-After in seconds (429, 503), 0 when absent
  std::uint32_t range_total = 0;     // the total of "Content-Range: bytes a-b/total", else 0
  std::uint32_t range_first = 0;     // the a of that header
};

/// Receives a response body as it arrives. Returning false aborts the transfer.
class BodySink {
 public:
  virtual bool write(const std::uint8_t* data, std::size_t n) = 0;

 protected:
  ~BodySink() = default;
};

/// One blocking HTTP exchange (the adapter owns connection reuse, TLS and its time-outs).
class Http {
 public:
  virtual NetResult perform(const HttpRequest& request, HttpResponse& response,
                            BodySink& body) = 0;

 protected:
  ~Http() = default;
};

class MqttListener {
 public:
  virtual void on_message(std::string_view topic, std::string_view payload) = 0;

 protected:
  ~MqttListener() = default;
};

class Mqtt {
 public:
  struct Options {
    std::string_view url;  // mqtt://host:port or mqtts://host:port
    std::string_view client_id;
    std::string_view username;
    std::string_view password;
    std::uint16_t keepalive_s = 60;
  };
  virtual NetResult connect(const Options& options) = 0;
  virtual bool connected() = 0;
  /// QoS 1. Messages arrive through poll(), never from another thread into the core.
  virtual NetResult subscribe(std::string_view topic_filter) = 0;
  /// Delivers the messages received since the last call (adapters queue them).
  virtual void poll(MqttListener& listener) = 0;
  virtual void disconnect() = 0;

 protected:
  ~Mqtt() = default;
};

/// Durable key/value strings (NVS). Keys are at most 15 bytes. The provisioning package lives in
/// namespace "prov" (one string per field, specs/platform.md); the core's own state in "state".
class Storage {
 public:
  /// Copies the value into out; returns its length, or -1 when the key is absent or the value
  /// does not fit.
  virtual int read(std::string_view ns, std::string_view key, char* out, std::size_t cap) = 0;
  /// Durable when it returns true (nvs_set_str + nvs_commit).
  virtual bool write(std::string_view ns, std::string_view key, std::string_view value) = 0;
  virtual bool erase(std::string_view ns, std::string_view key) = 0;

 protected:
  ~Storage() = default;
};

class Clock {
 public:
  virtual std::uint64_t monotonic_ms() = 0;

 protected:
  ~Clock() = default;
};

class Random {
 public:
  virtual std::uint32_t next_u32() = 0;

 protected:
  ~Random() = default;
};

/// SHA-256 from the platform's crypto library (mbedTLS, OpenSSL): never written by hand.
class Sha256 {
 public:
  virtual void begin() = 0;
  virtual void update(const std::uint8_t* data, std::size_t n) = 0;
  virtual void finish(std::uint8_t out[32]) = 0;

 protected:
  ~Sha256() = default;
};

/// The inactive OTA slot. `finish` makes the written image the one to boot next; the core then
/// calls `restart` when it is idle.
class FirmwareSlot {
 public:
  virtual bool begin(std::uint32_t total_size) = 0;
  virtual bool write(std::uint32_t offset, const std::uint8_t* data, std::size_t n) = 0;
  virtual bool finish() = 0;
  virtual void abort() = 0;
  /// Reboots into the new image (the simulator records the new version and carries on).
  virtual void restart(std::string_view new_version) = 0;

 protected:
  ~FirmwareSlot() = default;
};

struct Ports {
  Http& http;
  Mqtt& mqtt;
  Storage& storage;
  Clock& clock;
  Random& random;
  Sha256& sha256;
  FirmwareSlot& firmware;
};

}  // namespace iot_device
