// iot-provision package KEY --format json|nvs|header
#include <unistd.h>

#include <iostream>

#include "context.hpp"
#include "core/files.hpp"
#include "provision/package.hpp"

namespace iotfleet::provision_tool {
namespace {

struct PackageArgs {
  std::string key;
  std::string format = "json";
  std::string partition_size = "0x6000";
  std::string out = "-";
  std::optional<std::string> base_url, mqtt_url, token_url, wifi_ssid;
};
PackageArgs args;

}  // namespace

void add_package_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("package", "Write a device's provisioning package (it holds its secret)");
  cmd->add_option("key", args.key, "Device key")->required();
  cmd->add_option("--format", args.format, "json, nvs (ESP-IDF NVS partition image) or header (C header)")
      ->check(CLI::IsMember({"json", "nvs", "header"}))
      ->default_str("json");
  cmd->add_option("--partition-size", args.partition_size, "NVS partition size (multiple of 0x1000, at least 0x3000)")
      ->default_str("0x6000");
  cmd->add_option("-o,--out", args.out, "Output file, written 0600 ('-' for standard output)")->default_str("-");
  cmd->add_option("--base-url", args.base_url, "Device endpoint URL (env DEVICE_BASE_URL)");
  cmd->add_option("--device-mqtt-url", args.mqtt_url, "MQTT broker URL for devices (env DEVICE_MQTT_URL)");
  cmd->add_option("--token-url", args.token_url, "OIDC token URL, for Keycloak identities (env OIDC_TOKEN_URL)");
  cmd->add_option("--wifi-ssid", args.wifi_ssid, "WiFi network name (env WIFI_SSID); the password comes from WIFI_PASSWORD");
  cmd->callback([&ctx] {
    // Check every setting before touching the database, so a mistake costs nothing.
    const auto size = cli::expect(provision::parse_partition_size(args.partition_size));
    const auto base_url = cli::expect(ctx.config.require(provision::kBaseUrl, args.base_url));
    const auto mqtt_url = cli::expect(ctx.config.require(provision::kDeviceMqttUrl, args.mqtt_url));
    const auto wifi_ssid = cli::expect(ctx.config.require(provision::kWifiSsid, args.wifi_ssid));
    const auto token_url = ctx.config.get(provision::kTokenUrl, args.token_url).value_or("");
    const auto wifi_password = ctx.config.get(provision::kWifiPassword).value_or("");
    const auto& box = ctx.secret_box();

    // A Keycloak device gets its token from Keycloak: its package must say where.
    if (token_url.empty() && cli::expect(fleet::show_device(ctx.session(), args.key)).identity_kind == "keycloak")
      throw core::Failure(core::Error::usage(core::missing_setting_message(provision::kTokenUrl) + " (device '" +
                                             args.key + "' has a Keycloak identity)"));
    const auto credential = cli::expect(fleet::read_credential(ctx.session(), args.key, box));
    const provision::Package package{credential.device.key, credential.device.client_id, credential.secret,
                                     token_url, base_url, mqtt_url, wifi_ssid, wifi_password};
    std::string bytes;
    if (args.format == "json") bytes = provision::to_json(package).dump(2) + "\n";
    else if (args.format == "header") bytes = provision::to_c_header(package);
    else {
      const auto image = cli::expect(provision::to_nvs(package, size));
      bytes.assign(image.begin(), image.end());
    }
    if (args.out == "-" && args.format == "nvs" && ::isatty(STDOUT_FILENO))
      throw core::Failure(core::Error::usage("an NVS image is binary: give -o FILE"));
    cli::expect(core::write_file(args.out, bytes, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    if (args.out != "-") std::cerr << "wrote " << args.format << " package of device " << args.key << " to " << args.out << "\n";
  });
}

}  // namespace iotfleet::provision_tool
