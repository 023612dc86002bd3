// iot-provision device create|list|show|set-config|activate|deactivate|delete
#include <iostream>

#include "cli/table.hpp"
#include "context.hpp"
#include "fleet/views.hpp"

namespace iotfleet::provision_tool {
namespace {

struct DeviceArgs {
  std::string key;
  std::string model;
  std::optional<std::string> model_filter;
  std::optional<std::string> config_file;
  std::optional<std::string> name;
  std::size_t count = 1;
  std::string identity = "local";
  std::optional<std::string> state;
  bool inactive = false;
};
DeviceArgs args;

void print_device(Context& ctx, const store::Device& d) {
  if (ctx.json()) cli::print_json(fleet::to_json(d));
  else cli::print_fields(std::cout, fleet::device_fields(d));
}

void add_create(CLI::App& device, Context& ctx) {
  auto* create = device.add_subcommand("create", "Create devices of a model (all or nothing)");
  create->add_option("--model", args.model, "Model code")->required();
  create->add_option("--config", args.config_file, "Device config JSON file ('-' for standard input)");
  create->add_option("--name", args.name, "Device name (with --count N: <name>-1 ... <name>-N)");
  create->add_option("--count", args.count, "How many devices to create")
      ->check(CLI::Range(std::size_t{1}, fleet::kMaxDevicesPerCreate))
      ->default_str("1");
  create->add_option("--identity", args.identity, "Credential kind: local (toolkit-managed secret), keycloak, cert")
      ->check(CLI::IsMember({"local", "keycloak", "cert"}))
      ->default_str("local");
  cli::add_output_option(*create, ctx.output);
  create->callback([&ctx] {
    fleet::DeviceSpec spec;
    spec.model_code = args.model;
    if (args.config_file) spec.config = read_json_file(*args.config_file, "--config");
    spec.name = args.name;
    spec.count = args.count;
    spec.identity = args.identity;
    auto& session = ctx.session();
    cli::Progress progress("creating devices");
    const auto created = cli::expect(fleet::create_devices(
        session, spec, ctx.local_secrets(), [&](std::size_t done, std::size_t total) { progress.update(done, total); }));
    if (ctx.json()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& d : created) out.push_back({{"key", d.key}, {"client_id", d.client_id}, {"model", d.model}});
      cli::print_json(out);
      return;
    }
    cli::Table table({"KEY", "CLIENT ID", "MODEL"});
    for (const auto& d : created) table.add({d.key, d.client_id, d.model});
    table.print(std::cout);
  });
}

}  // namespace

void add_device_commands(CLI::App& app, Context& ctx) {
  auto* device = app.add_subcommand("device", "Devices: create, list, show, set-config, activate, deactivate, delete");
  device->require_subcommand(1);
  add_create(*device, ctx);

  auto* list = device->add_subcommand("list", "List devices (active and inactive)");
  list->add_option("--model", args.model_filter, "Only devices of this model");
  list->add_option("--state", args.state, "Only devices in this rotation state: OK, QUEUED, PENDING, TIMEOUT");
  list->add_flag("--inactive", args.inactive, "Only deactivated devices");
  cli::add_output_option(*list, ctx.output);
  list->callback([&ctx] {
    const auto devices = cli::expect(fleet::list_devices(ctx.session(), args.model_filter, args.state, args.inactive));
    if (ctx.json()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& d : devices) out.push_back(fleet::to_json(d));
      cli::print_json(out);
      return;
    }
    cli::Table table(fleet::device_table_headers());
    for (const auto& d : devices) table.add(fleet::device_table_row(d));
    table.print(std::cout);
  });

  auto* show = device->add_subcommand("show", "Show one device");
  show->add_option("key", args.key, "Device key")->required();
  cli::add_output_option(*show, ctx.output);
  show->callback([&ctx] { print_device(ctx, cli::expect(fleet::show_device(ctx.session(), args.key))); });

  auto* set_config = device->add_subcommand("set-config", "Replace a device's config (checked against its model's schema)");
  set_config->add_option("key", args.key, "Device key")->required();
  set_config->add_option("--config", args.config_file, "Config JSON file ('-' for standard input)")->required();
  cli::add_output_option(*set_config, ctx.output);
  set_config->callback([&ctx] {
    const auto config = read_json_file(*args.config_file, "--config");
    print_device(ctx, cli::expect(fleet::set_device_config(ctx.session(), args.key, config)));
  });

  for (const bool active : {true, false}) {
    auto* cmd = device->add_subcommand(active ? "activate" : "deactivate",
                                       active ? "Activate a device" : "Deactivate a device (fleet rotation skips it)");
    cmd->add_option("key", args.key, "Device key")->required();
    cli::add_output_option(*cmd, ctx.output);
    cmd->callback([&ctx, active] { print_device(ctx, cli::expect(fleet::set_device_active(ctx.session(), args.key, active))); });
  }

  auto* remove = device->add_subcommand("delete", "Delete a device");
  remove->add_option("key", args.key, "Device key")->required();
  cli::add_output_option(*remove, ctx.output);
  remove->callback([&ctx] {
    cli::expect(fleet::delete_device(ctx.session(), args.key));
    if (ctx.json()) cli::print_json({{"deleted", args.key}});
    else std::cout << "deleted device " << args.key << "\n";
  });
}

}  // namespace iotfleet::provision_tool
