#pragma once
// What every iot-provision subcommand shares: the configuration, a database session opened on
// first use, the secret box, and the identity providers (made on first use, so that only
// commands touching a Keycloak device need the Keycloak settings).

#include <memory>
#include <optional>
#include <pqxx/pqxx>

#include "cli/app.hpp"
#include "core/config.hpp"
#include "fleet/broker_sync.hpp"
#include "fleet/devices.hpp"
#include "fleet/identities.hpp"
#include "idp/keycloak.hpp"
#include "idp/local_provider.hpp"
#include "mqtt/settings.hpp"
#include "provision/package.hpp"

namespace iotfleet::provision_tool {

struct Context {
  core::Config config;
  cli::OutputFormat output = cli::OutputFormat::table;  // bound to every subcommand's --output
  std::unique_ptr<pqxx::connection> db;
  std::optional<fleet::Session> session_;
  std::optional<core::SecretBox> box;
  std::optional<idp::Pepper> pepper;
  idp::KeycloakFlags keycloak_flags;  // bound to the Keycloak options of the device commands
  std::unique_ptr<idp::KeycloakProvider> keycloak_;
  std::unique_ptr<idp::LocalProvider> local_;
  mqtt::SettingFlags mqtt_flags;            // bound to the broker options (mqtt sync, device …)
  std::optional<std::string> mqtt_identities;  // --mqtt-identities
  int mqtt_timeout = 10;

  bool json() const { return output == cli::OutputFormat::json; }
  fleet::Session& session();
  fleet::LocalSecrets local_secrets();
  const core::SecretBox& secret_box();
  const idp::Pepper& local_pepper();
  idp::KeycloakProvider& keycloak();
  /// The provider of an identity kind, for fleet operations (see fleet::ProviderFor).
  fleet::ProviderFor providers();
  /// With MQTT_IDENTITIES=dynsec: brings these devices' broker identities in step (after the
  /// database change committed). A broker that cannot be reached is exit 5, naming the repair.
  /// Whether MQTT_IDENTITIES asks for it; a bad mode or bad MQTT settings are usage errors.
  bool broker_identities_kept();
  void keep_broker_in_step(const std::vector<fleet::BrokerDevice>& devices);
};

/// The broker's connection options (--mqtt-url, --mqtt-username, …) on a command.
void add_mqtt_options(CLI::App& cmd, Context& ctx);
/// add_mqtt_options plus --mqtt-identities, for commands that change devices.
void add_broker_identity_options(CLI::App& cmd, Context& ctx);

void add_model_commands(CLI::App& app, Context& ctx);
void add_device_commands(CLI::App& app, Context& ctx);
void add_package_command(CLI::App& app, Context& ctx);
void add_mqtt_commands(CLI::App& app, Context& ctx);

/// How packages are written, as flags (package, device create --identity cert).
struct PackageOptions {
  std::string format = "json";
  std::string partition_size = "0x6000";
  std::optional<std::string> base_url, mqtt_url, token_url, wifi_ssid;
};
/// The checked settings, and the fields every package shares (URLs, WiFi).
struct PackageDefaults {
  provision::Package base;
  std::string format;
  std::size_t partition_size = 0;
};
void add_package_options(CLI::App& cmd, PackageOptions& options);
PackageDefaults load_package_defaults(Context& ctx, const PackageOptions& options);
/// <key>.json, <key>.nvs.bin or <key>.h
std::string package_file_name(const std::string& key, const std::string& format);
/// Writes the package 0600 to a file, or "-" for standard output.
void write_package(const provision::Package& package, const PackageDefaults& defaults,
                   const std::string& out);

/// Reads a JSON file ("-" for standard input), naming the flag in errors.
nlohmann::json read_json_file(const std::string& path, const std::string& flag);

}  // namespace iotfleet::provision_tool
