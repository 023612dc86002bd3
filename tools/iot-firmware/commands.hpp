#pragma once
// What the iot-firmware subcommands share: settings, output format, the database session and
// the catalog, opened on first use (inspect needs neither).

#include <memory>
#include <optional>
#include <pqxx/pqxx>

#include "cli/app.hpp"
#include "core/config.hpp"
#include "firmware/catalog.hpp"
#include "mqtt/settings.hpp"

namespace iotfleet::firmware_tool {

struct Context {
  core::Config config;
  cli::OutputFormat output = cli::OutputFormat::table;  // bound to every subcommand's --output
  std::unique_ptr<pqxx::connection> db;
  std::optional<fleet::Session> session;
  mqtt::SettingFlags mqtt_flags;  // --mqtt-url and friends, on the commands that change firmware
  std::unique_ptr<firmware::Notifier> notifier;
  std::optional<firmware::Catalog> catalog_;

  bool json() const { return output == cli::OutputFormat::json; }
  firmware::Catalog& catalog();
};

void add_inspect_command(CLI::App& app, Context& ctx);
void add_catalog_commands(CLI::App& app, Context& ctx);

}  // namespace iotfleet::firmware_tool
