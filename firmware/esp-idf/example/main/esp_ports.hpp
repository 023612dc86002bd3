#pragma once
// The device core's ports over ESP-IDF: esp_http_client, esp-mqtt, NVS, esp_ota_ops, mbedTLS,
// esp_timer and the hardware RNG. One instance of each, used from the task that runs the Device.

#include <esp_ota_ops.h>
#include <freertos/FreeRTOS.h>
#include <freertos/event_groups.h>
#include <freertos/queue.h>
#include <mbedtls/sha256.h>
#include <mqtt_client.h>

#include "iot_device/ports.hpp"

namespace esp_ports {

class EspHttp final : public iot_device::Http {
 public:
  iot_device::NetResult perform(const iot_device::HttpRequest& request,
                                iot_device::HttpResponse& response,
                                iot_device::BodySink& body) override;
};

class EspMqtt final : public iot_device::Mqtt {
 public:
  EspMqtt();
  iot_device::NetResult connect(const Options& options) override;
  bool connected() override;
  iot_device::NetResult subscribe(std::string_view topic_filter) override;
  void poll(iot_device::MqttListener& listener) override;
  void disconnect() override;

 private:
  static void on_event(void* self, esp_event_base_t base, int32_t id, void* data);
  esp_mqtt_client_handle_t client_ = nullptr;
  EventGroupHandle_t events_;
  QueueHandle_t messages_;  // filled by the MQTT task, drained by poll()
};

/// Namespace "prov" lives in the "prov" partition (the flashed package), the rest in "nvs".
class NvsStorage final : public iot_device::Storage {
 public:
  int read(std::string_view ns, std::string_view key, char* out, std::size_t cap) override;
  bool write(std::string_view ns, std::string_view key, std::string_view value) override;
  bool erase(std::string_view ns, std::string_view key) override;
};

class EspClock final : public iot_device::Clock {
 public:
  std::uint64_t monotonic_ms() override;
};

class EspRandom final : public iot_device::Random {
 public:
  std::uint32_t next_u32() override;
};

class MbedSha256 final : public iot_device::Sha256 {
 public:
  MbedSha256() { mbedtls_sha256_init(&ctx_); }
  void begin() override { mbedtls_sha256_starts(&ctx_, 0); }
  void update(const std::uint8_t* data, std::size_t n) override {
    mbedtls_sha256_update(&ctx_, data, n);
  }
  void finish(std::uint8_t out[32]) override { mbedtls_sha256_finish(&ctx_, out); }

 private:
  mbedtls_sha256_context ctx_;
};

class OtaSlot final : public iot_device::FirmwareSlot {
 public:
  bool begin(std::uint32_t total_size) override;
  bool write(std::uint32_t offset, const std::uint8_t* data, std::size_t n) override;
  bool finish() override;
  void abort() override;
  void restart(std::string_view new_version) override;

 private:
  const esp_partition_t* partition_ = nullptr;
  esp_ota_handle_t handle_ = 0;
};

}  // namespace esp_ports
