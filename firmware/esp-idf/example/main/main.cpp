// An ESP32 running the fleet's device core: joins Wi-Fi with the credentials of the provisioning
// package, then calls Device::step() whenever the previous call said to.

#include <esp_event.h>
#include <esp_log.h>
#include <esp_netif.h>
#include <esp_ota_ops.h>
#include <esp_wifi.h>
#include <freertos/FreeRTOS.h>
#include <freertos/event_groups.h>
#include <freertos/task.h>
#include <nvs_flash.h>

#include <cstring>

#include "esp_ports.hpp"
#include "iot_device/device.hpp"

namespace {

constexpr const char* kTag = "iot_device";
constexpr EventBits_t kGotIp = BIT0;
EventGroupHandle_t wifi_events;

void on_wifi_event(void*, esp_event_base_t base, int32_t id, void*) {
  if (base == WIFI_EVENT && (id == WIFI_EVENT_STA_START || id == WIFI_EVENT_STA_DISCONNECTED)) {
    xEventGroupClearBits(wifi_events, kGotIp);
    esp_wifi_connect();  // the driver retries; the core's back-off covers the server side
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    xEventGroupSetBits(wifi_events, kGotIp);
  }
}

bool start_wifi(esp_ports::NvsStorage& storage) {
  wifi_config_t config = {};
  const int ssid = storage.read("prov", "wifi_ssid", reinterpret_cast<char*>(config.sta.ssid),
                                sizeof config.sta.ssid);
  const int password =
      storage.read("prov", "wifi_password", reinterpret_cast<char*>(config.sta.password),
                   sizeof config.sta.password);
  if (ssid <= 0 || password < 0) return false;
  wifi_events = xEventGroupCreate();
  ESP_ERROR_CHECK(esp_netif_init());
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  esp_netif_create_default_wifi_sta();
  const wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  ESP_ERROR_CHECK(esp_wifi_init(&init));
  ESP_ERROR_CHECK(esp_event_handler_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi_event, nullptr));
  ESP_ERROR_CHECK(
      esp_event_handler_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_wifi_event, nullptr));
  ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
  ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &config));
  ESP_ERROR_CHECK(esp_wifi_start());
  std::memset(&config, 0, sizeof config);
  return true;
}

// Static: the Device keeps its buffers inline (~10 KiB), too much for a task's stack.
esp_ports::EspHttp http;
esp_ports::NvsStorage storage;
esp_ports::EspClock clock_port;
esp_ports::EspRandom random_port;
esp_ports::MbedSha256 sha256;
esp_ports::OtaSlot slot;

}  // namespace

extern "C" void app_main() {
  esp_err_t err = nvs_flash_init();
  if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    ESP_ERROR_CHECK(nvs_flash_erase());
    err = nvs_flash_init();
  }
  ESP_ERROR_CHECK(err);
  // Never erased: it holds the package (and, after a rotation, the device's current secret).
  ESP_ERROR_CHECK(nvs_flash_init_partition("prov"));

  if (!start_wifi(storage)) {
    ESP_LOGE(kTag, "no provisioning package: flash one into the \"prov\" partition");
    return;
  }
  static esp_ports::EspMqtt mqtt;
  const iot_device::Ports ports{http, mqtt, storage, clock_port, random_port, sha256, slot};
  static iot_device::Device device(ports, iot_device::Tunables{});
  if (!device.begin()) {
    ESP_LOGE(kTag, "the provisioning package is incomplete");
    return;
  }
  ESP_LOGI(kTag, "firmware %.*s", static_cast<int>(device.firmware_version().size()),
           device.firmware_version().data());

  xEventGroupWaitBits(wifi_events, kGotIp, pdFALSE, pdTRUE, portMAX_DELAY);
  bool marked_valid = false;
  for (;;) {
    const std::uint32_t delay_ms = device.step();
    const auto& stats = device.stats();
    if (!marked_valid && stats.configs_fetched + stats.configs_unchanged > 0) {
      // This image reached the server: keep it (otherwise the bootloader rolls it back).
      esp_ota_mark_app_valid_cancel_rollback();
      marked_valid = true;
    }
    vTaskDelay(pdMS_TO_TICKS(delay_ms) > 0 ? pdMS_TO_TICKS(delay_ms) : 1);
  }
}
