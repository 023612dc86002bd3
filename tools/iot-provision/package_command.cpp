// iot-provision package KEY --format json|nvs|header, and the package options that
// `device create --identity cert` shares (its packages are written at creation).
#include <unistd.h>

#include <iostream>

#include "context.hpp"
#include "core/files.hpp"

namespace iotfleet::provision_tool {
namespace {

struct PackageArgs {
  std::string key;
  std::string out = "-";
  PackageOptions options;
};
PackageArgs args;

constexpr auto kOwnerOnly = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

}  // namespace

void add_package_options(CLI::App& cmd, PackageOptions& o) {
  cmd.add_option("--format", o.format, "json, nvs (ESP-IDF NVS partition image) or header (C header)")
      ->check(CLI::IsMember({"json", "nvs", "header"}))
      ->default_str("json");
  cmd.add_option("--partition-size", o.partition_size, "NVS partition size (multiple of 0x1000, at least 0x3000)")
      ->default_str("0x6000");
  cmd.add_option("--base-url", o.base_url, "Device endpoint URL (env DEVICE_BASE_URL)");
  cmd.add_option("--device-mqtt-url", o.mqtt_url, "MQTT broker URL for devices (env DEVICE_MQTT_URL)");
  cmd.add_option("--token-url", o.token_url, "OIDC token URL, for Keycloak identities (env OIDC_TOKEN_URL)");
  cmd.add_option("--wifi-ssid", o.wifi_ssid, "WiFi network name (env WIFI_SSID); the password comes from WIFI_PASSWORD");
}

PackageDefaults load_package_defaults(Context& ctx, const PackageOptions& o) {
  PackageDefaults d;
  d.format = o.format;
  d.partition_size = cli::expect(provision::parse_partition_size(o.partition_size));
  d.base.base_url = cli::expect(ctx.config.require(provision::kBaseUrl, o.base_url));
  d.base.mqtt_url = cli::expect(ctx.config.require(provision::kDeviceMqttUrl, o.mqtt_url));
  d.base.wifi_ssid = cli::expect(ctx.config.require(provision::kWifiSsid, o.wifi_ssid));
  d.base.token_url = ctx.config.get(provision::kTokenUrl, o.token_url).value_or("");
  d.base.wifi_password = ctx.config.get(provision::kWifiPassword).value_or("");
  return d;
}

std::string package_file_name(const std::string& key, const std::string& format) {
  return key + (format == "nvs" ? ".nvs.bin" : format == "header" ? ".h" : ".json");
}

void write_package(const provision::Package& package, const PackageDefaults& d, const std::string& out) {
  const auto bytes = cli::expect(provision::render(package, d.format, d.partition_size));
  if (out == "-" && d.format == "nvs" && ::isatty(STDOUT_FILENO))
    throw core::Failure(core::Error::usage("an NVS image is binary: give -o FILE"));
  cli::expect(core::write_file(out, bytes, kOwnerOnly));
}

void add_package_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("package", "Write a device's provisioning package (it holds its secret)");
  cmd->add_option("key", args.key, "Device key")->required();
  cmd->add_option("-o,--out", args.out, "Output file, written 0600 ('-' for standard output)")->default_str("-");
  add_package_options(*cmd, args.options);
  cmd->callback([&ctx] {
    // Check every setting before touching the database, so a mistake costs nothing.
    const auto defaults = load_package_defaults(ctx, args.options);
    const auto& box = ctx.secret_box();

    const auto device = cli::expect(fleet::show_device(ctx.session(), args.key));
    if (device.identity_kind == "cert")
      throw core::Failure(core::Error::failure(
          "device '" + args.key + "' has a certificate identity: its private key is not kept, so "
                                  "its package was written once, by 'device create --out'",
          "to give it a new key and certificate: 'iot-cert issue device " + args.key + " --ca DIR --out DIR'"));
    // A Keycloak device gets its token from Keycloak: its package must say where.
    if (defaults.base.token_url.empty() && device.identity_kind == "keycloak")
      throw core::Failure(core::Error::usage(core::missing_setting_message(provision::kTokenUrl) + " (device '" +
                                             args.key + "' has a Keycloak identity)"));
    const auto credential = cli::expect(fleet::read_credential(ctx.session(), args.key, box));
    provision::Package package = defaults.base;
    package.device_key = credential.device.key;
    package.client_id = credential.device.client_id;
    package.client_secret = credential.secret;
    write_package(package, defaults, args.out);
    if (args.out != "-") std::cerr << "wrote " << defaults.format << " package of device " << args.key << " to " << args.out << "\n";
  });
}

}  // namespace iotfleet::provision_tool
