#pragma once
// The provisioning package of shared/specs/platform.md: what a device needs to join the fleet,
// as JSON, as an ESP-IDF NVS partition image (namespace "prov", one string per field), or as a
// C header an Arduino or ESP-IDF project includes. Every form holds a secret: files are 0600.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/encoding.hpp"
#include "core/error.hpp"
#include "provision/nvs.hpp"

namespace iotfleet::provision {

inline constexpr core::Setting kBaseUrl{"--base-url", "DEVICE_BASE_URL", ""};
inline constexpr core::Setting kDeviceMqttUrl{"--device-mqtt-url", "DEVICE_MQTT_URL", ""};
inline constexpr core::Setting kTokenUrl{"--token-url", "OIDC_TOKEN_URL", ""};
inline constexpr core::Setting kWifiSsid{"--wifi-ssid", "WIFI_SSID", ""};
inline constexpr core::Setting kWifiPassword{"", "WIFI_PASSWORD", ""};  // a secret: never a flag

inline constexpr std::string_view kNvsNamespace = "prov";
inline constexpr std::size_t kDefaultPartitionSize = 0x6000;

struct Package {
  std::string device_key;
  std::string client_id;
  std::string client_secret;
  std::string token_url;
  std::string base_url;
  std::string mqtt_url;
  std::string wifi_ssid;
  std::string wifi_password;
  // A cert identity (issue 7): its key, certificate and the CA that signed it, PEM. Empty for
  // secret identities, and then left out of every form.
  std::string client_key{};
  std::string client_cert{};
  std::string ca_cert{};
};

/// The fields in the order of the spec, as (name, value) pairs.
std::vector<std::pair<std::string, std::string>> fields(const Package& p);

nlohmann::ordered_json to_json(const Package& p);
core::Result<core::Bytes> to_nvs(const Package& p, std::size_t partition_size);
std::string to_c_header(const Package& p);
/// The package as `format` says: "json", "nvs" (an image of partition_size bytes) or "header".
core::Result<std::string> render(const Package& p, const std::string& format,
                                 std::size_t partition_size);

/// "0x6000" or "24576"; must be a multiple of 0x1000 and at least 0x3000.
core::Result<std::size_t> parse_partition_size(const std::string& text);

/// A C string literal for any bytes (escapes quotes, backslashes and non-printable bytes).
std::string c_string_literal(std::string_view s);

}  // namespace iotfleet::provision
