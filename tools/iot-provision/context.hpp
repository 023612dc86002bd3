#pragma once
// What every iot-provision subcommand shares: the configuration, a database session opened on
// first use, and the secret box.

#include <memory>
#include <optional>
#include <pqxx/pqxx>

#include "cli/app.hpp"
#include "core/config.hpp"
#include "fleet/devices.hpp"

namespace iotfleet::provision_tool {

struct Context {
  core::Config config;
  cli::OutputFormat output = cli::OutputFormat::table;  // bound to every subcommand's --output
  std::unique_ptr<pqxx::connection> db;
  std::optional<fleet::Session> session_;
  std::optional<core::SecretBox> box;
  std::optional<idp::Pepper> pepper;

  bool json() const { return output == cli::OutputFormat::json; }
  fleet::Session& session();
  fleet::LocalSecrets local_secrets();
  const core::SecretBox& secret_box();
};

void add_model_commands(CLI::App& app, Context& ctx);
void add_device_commands(CLI::App& app, Context& ctx);
void add_package_command(CLI::App& app, Context& ctx);

/// Reads a JSON file ("-" for standard input), naming the flag in errors.
nlohmann::json read_json_file(const std::string& path, const std::string& flag);

}  // namespace iotfleet::provision_tool
