// ESP-IDF implementations of the device core's ports (see esp_ports.hpp).

#include "esp_ports.hpp"

#include <esp_crt_bundle.h>
#include <esp_http_client.h>
#include <esp_random.h>
#include <esp_system.h>
#include <esp_timer.h>
#include <nvs.h>

#include <cstdlib>
#include <cstring>

namespace esp_ports {
namespace {

using iot_device::NetResult;

/// A NUL-terminated copy of a string_view (ESP-IDF's APIs take C strings).
template <std::size_t N>
struct CString {
  explicit CString(std::string_view s) { ok = text.assign(s); }
  const char* c_str() const { return text.c_str(); }
  iot_device::FixedString<N> text;
  bool ok;
};

bool header_is(const char* key, const char* name) { return strcasecmp(key, name) == 0; }

esp_err_t on_http_event(esp_http_client_event_t* event) {
  if (event->event_id != HTTP_EVENT_ON_HEADER) return ESP_OK;
  auto& response = *static_cast<iot_device::HttpResponse*>(event->user_data);
  const char* key = event->header_key;
  const char* value = event->header_value;
  if (header_is(key, "ETag")) {
    response.etag.assign(value);
  } else if (header_is(key, "X-Firmware-Version")) {
    response.firmware_version.assign(value);
  } else if (header_is(key, "X-Rotation")) {
    response.rotation_pending = strcasecmp(value, "pending") == 0;
  } else if (header_is(key, "Retry-After")) {
    response.retry_after_s = static_cast<std::uint32_t>(strtoul(value, nullptr, 10));
  } else if (header_is(key, "Content-Range")) {  // "bytes a-b/total"
    unsigned long first = 0, last = 0, total = 0;
    if (sscanf(value, "bytes %lu-%lu/%lu", &first, &last, &total) == 3) {
      response.range_first = static_cast<std::uint32_t>(first);
      response.range_total = static_cast<std::uint32_t>(total);
    }
  }
  return ESP_OK;
}

// Header values can be as long as a bearer token: kept out of the task's stack.
char authorization[2100];

}  // namespace

// --- HTTP: one connection per exchange (the core makes at most one per step) ---

NetResult EspHttp::perform(const iot_device::HttpRequest& request,
                           iot_device::HttpResponse& response, iot_device::BodySink& body) {
  CString<256> url(request.url);
  if (!url.ok || request.authorization.size() >= sizeof authorization)
    return NetResult::unreachable;
  esp_http_client_config_t config = {};
  config.url = url.c_str();
  config.method =
      request.method == iot_device::HttpRequest::Method::post ? HTTP_METHOD_POST : HTTP_METHOD_GET;
  config.timeout_ms = 15'000;
  config.crt_bundle_attach = esp_crt_bundle_attach;
  config.event_handler = on_http_event;
  config.user_data = &response;
  config.buffer_size = 2048;
  config.buffer_size_tx = 2560;  // the request line and a bearer token
  esp_http_client_handle_t client = esp_http_client_init(&config);
  if (client == nullptr) return NetResult::unreachable;

  if (!request.authorization.empty()) {
    std::memcpy(authorization, request.authorization.data(), request.authorization.size());
    authorization[request.authorization.size()] = '\0';
    esp_http_client_set_header(client, "Authorization", authorization);
  }
  CString<80> if_none_match(request.if_none_match);
  if (!request.if_none_match.empty())
    esp_http_client_set_header(client, "If-None-Match", if_none_match.c_str());
  CString<64> content_type(request.content_type);
  if (!request.content_type.empty())
    esp_http_client_set_header(client, "Content-Type", content_type.c_str());
  char range[32];
  CString<80> if_range(request.if_range);
  if (request.range_from > 0) {
    snprintf(range, sizeof range, "bytes=%lu-", static_cast<unsigned long>(request.range_from));
    esp_http_client_set_header(client, "Range", range);
    if (!request.if_range.empty()) esp_http_client_set_header(client, "If-Range", if_range.c_str());
  }

  NetResult result = NetResult::ok;
  if (esp_http_client_open(client, static_cast<int>(request.body.size())) != ESP_OK) {
    result = NetResult::unreachable;
  } else if (!request.body.empty() &&
             esp_http_client_write(client, request.body.data(),
                                   static_cast<int>(request.body.size())) < 0) {
    result = NetResult::timeout;
  } else if (esp_http_client_fetch_headers(client) < 0) {
    result = NetResult::timeout;
  } else {
    // Headers arrived through on_http_event; the status is known before the first body byte.
    response.status = esp_http_client_get_status_code(client);
    static std::uint8_t buffer[1024];
    for (;;) {
      const int n = esp_http_client_read(client, reinterpret_cast<char*>(buffer), sizeof buffer);
      if (n < 0) {
        result = NetResult::timeout;
        break;
      }
      if (n == 0) {
        if (!esp_http_client_is_complete_data_received(client)) result = NetResult::unreachable;
        break;
      }
      if (!body.write(buffer, static_cast<std::size_t>(n))) {
        result = NetResult::aborted;
        break;
      }
    }
  }
  esp_http_client_close(client);
  esp_http_client_cleanup(client);
  std::memset(authorization, 0, sizeof authorization);
  return result;
}

// --- MQTT: esp-mqtt runs its own task; messages are queued for poll() ---

namespace {

constexpr EventBits_t kConnected = BIT0;
constexpr EventBits_t kFailed = BIT1;

struct Message {
  char topic[128];
  char payload[384];
  std::uint16_t topic_len;
  std::uint16_t payload_len;
};

}  // namespace

EspMqtt::EspMqtt() : events_(xEventGroupCreate()), messages_(xQueueCreate(4, sizeof(Message))) {}

void EspMqtt::on_event(void* self, esp_event_base_t, int32_t id, void* data) {
  auto* mqtt = static_cast<EspMqtt*>(self);
  auto* event = static_cast<esp_mqtt_event_handle_t>(data);
  switch (static_cast<esp_mqtt_event_id_t>(id)) {
    case MQTT_EVENT_CONNECTED:
      xEventGroupClearBits(mqtt->events_, kFailed);
      xEventGroupSetBits(mqtt->events_, kConnected);
      break;
    case MQTT_EVENT_DISCONNECTED:
    case MQTT_EVENT_ERROR:
      xEventGroupClearBits(mqtt->events_, kConnected);
      xEventGroupSetBits(mqtt->events_, kFailed);
      break;
    case MQTT_EVENT_DATA: {
      // Rotation notices are small; a fragmented or oversized message is dropped (the
      // X-Rotation header of the next configuration poll brings the same news).
      if (event->data_len != event->total_data_len || event->topic_len >= 128 ||
          event->data_len >= 384)
        break;
      Message m = {};
      std::memcpy(m.topic, event->topic, event->topic_len);
      std::memcpy(m.payload, event->data, event->data_len);
      m.topic_len = static_cast<std::uint16_t>(event->topic_len);
      m.payload_len = static_cast<std::uint16_t>(event->data_len);
      xQueueSend(mqtt->messages_, &m, 0);
      break;
    }
    default:
      break;
  }
}

NetResult EspMqtt::connect(const Options& options) {
  disconnect();
  CString<192> uri(options.url);
  CString<96> client_id(options.client_id);
  CString<96> username(options.username);
  CString<128> password(options.password);
  esp_mqtt_client_config_t config = {};
  config.broker.address.uri = uri.c_str();
  config.credentials.client_id = client_id.c_str();
  config.credentials.username = username.c_str();
  config.credentials.authentication.password = password.c_str();
  config.session.keepalive = options.keepalive_s;
  config.network.disable_auto_reconnect = true;  // the core owns the back-off
  config.broker.verification.crt_bundle_attach = esp_crt_bundle_attach;
  client_ = esp_mqtt_client_init(&config);  // copies the strings
  if (client_ == nullptr) return NetResult::unreachable;
  esp_mqtt_client_register_event(client_, MQTT_EVENT_ANY, on_event, this);
  xEventGroupClearBits(events_, kConnected | kFailed);
  if (esp_mqtt_client_start(client_) != ESP_OK) return NetResult::unreachable;
  const EventBits_t bits =
      xEventGroupWaitBits(events_, kConnected | kFailed, pdFALSE, pdFALSE, pdMS_TO_TICKS(10'000));
  if (bits & kConnected) return NetResult::ok;
  disconnect();
  return bits & kFailed ? NetResult::unreachable : NetResult::timeout;
}

bool EspMqtt::connected() {
  return client_ != nullptr && (xEventGroupGetBits(events_) & kConnected) != 0;
}

NetResult EspMqtt::subscribe(std::string_view topic_filter) {
  CString<128> topic(topic_filter);
  if (!connected() || !topic.ok) return NetResult::unreachable;
  return esp_mqtt_client_subscribe(client_, topic.c_str(), 1) >= 0 ? NetResult::ok
                                                                   : NetResult::unreachable;
}

void EspMqtt::poll(iot_device::MqttListener& listener) {
  Message m;
  while (xQueueReceive(messages_, &m, 0) == pdTRUE)
    listener.on_message({m.topic, m.topic_len}, {m.payload, m.payload_len});
}

void EspMqtt::disconnect() {
  if (client_ == nullptr) return;
  esp_mqtt_client_stop(client_);
  esp_mqtt_client_destroy(client_);
  client_ = nullptr;
  xEventGroupClearBits(events_, kConnected);
}

// --- NVS ---

namespace {

bool open(std::string_view ns, nvs_open_mode_t mode, nvs_handle_t& handle) {
  CString<15> name(ns);
  if (!name.ok) return false;
  if (ns == "prov") return nvs_open_from_partition("prov", "prov", mode, &handle) == ESP_OK;
  return nvs_open(name.c_str(), mode, &handle) == ESP_OK;
}

}  // namespace

int NvsStorage::read(std::string_view ns, std::string_view key, char* out, std::size_t cap) {
  CString<15> k(key);
  nvs_handle_t handle;
  if (!k.ok || !open(ns, NVS_READONLY, handle)) return -1;
  std::size_t length = cap;  // including the NUL nvs_get_str writes
  const esp_err_t err = nvs_get_str(handle, k.c_str(), out, &length);
  nvs_close(handle);
  return err == ESP_OK && length > 0 ? static_cast<int>(length - 1) : -1;
}

bool NvsStorage::write(std::string_view ns, std::string_view key, std::string_view value) {
  CString<15> k(key);
  CString<2048> v(value);
  nvs_handle_t handle;
  if (!k.ok || !v.ok || !open(ns, NVS_READWRITE, handle)) return false;
  const bool ok =
      nvs_set_str(handle, k.c_str(), v.c_str()) == ESP_OK && nvs_commit(handle) == ESP_OK;
  nvs_close(handle);
  std::memset(v.text.buffer(), 0, v.text.capacity());  // may have held a secret
  return ok;
}

bool NvsStorage::erase(std::string_view ns, std::string_view key) {
  CString<15> k(key);
  nvs_handle_t handle;
  if (!k.ok || !open(ns, NVS_READWRITE, handle)) return false;
  const esp_err_t err = nvs_erase_key(handle, k.c_str());
  const bool ok = (err == ESP_OK || err == ESP_ERR_NVS_NOT_FOUND) && nvs_commit(handle) == ESP_OK;
  nvs_close(handle);
  return ok;
}

// --- clock, randomness ---

std::uint64_t EspClock::monotonic_ms() {
  return static_cast<std::uint64_t>(esp_timer_get_time()) / 1000u;
}

std::uint32_t EspRandom::next_u32() { return esp_random(); }

// --- OTA ---

bool OtaSlot::begin(std::uint32_t total_size) {
  partition_ = esp_ota_get_next_update_partition(nullptr);
  return partition_ != nullptr && esp_ota_begin(partition_, total_size, &handle_) == ESP_OK;
}

bool OtaSlot::write(std::uint32_t offset, const std::uint8_t* data, std::size_t n) {
  return esp_ota_write_with_offset(handle_, data, n, offset) == ESP_OK;
}

bool OtaSlot::finish() {
  // esp_ota_end also checks the image (header, app SHA) before it may be booted.
  const bool ok =
      esp_ota_end(handle_) == ESP_OK && esp_ota_set_boot_partition(partition_) == ESP_OK;
  handle_ = 0;
  return ok;
}

void OtaSlot::abort() {
  if (handle_ != 0) esp_ota_abort(handle_);
  handle_ = 0;
}

void OtaSlot::restart(std::string_view) { esp_restart(); }

}  // namespace esp_ports
