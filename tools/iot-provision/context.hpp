#pragma once
// What every iot-provision subcommand shares: the configuration, a database session opened on
// first use, the secret box, and the identity providers (made on first use, so that only
// commands touching a Keycloak device need the Keycloak settings).

#include <memory>
#include <optional>
#include <pqxx/pqxx>

#include "cli/app.hpp"
#include "core/config.hpp"
#include "fleet/devices.hpp"
#include "fleet/identities.hpp"
#include "idp/keycloak.hpp"
#include "idp/local_provider.hpp"

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

  bool json() const { return output == cli::OutputFormat::json; }
  fleet::Session& session();
  fleet::LocalSecrets local_secrets();
  const core::SecretBox& secret_box();
  const idp::Pepper& local_pepper();
  idp::KeycloakProvider& keycloak();
  /// The provider of an identity kind, for fleet operations (see fleet::ProviderFor).
  fleet::ProviderFor providers();
};

void add_model_commands(CLI::App& app, Context& ctx);
void add_device_commands(CLI::App& app, Context& ctx);
void add_package_command(CLI::App& app, Context& ctx);
void add_mqtt_commands(CLI::App& app, Context& ctx);

/// Reads a JSON file ("-" for standard input), naming the flag in errors.
nlohmann::json read_json_file(const std::string& path, const std::string& flag);

}  // namespace iotfleet::provision_tool
