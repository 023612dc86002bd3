// iot-provision model create|list|show|update|delete
#include <iostream>

#include "cli/table.hpp"
#include "context.hpp"
#include "fleet/views.hpp"

namespace iotfleet::provision_tool {
namespace {

struct ModelArgs {
  std::string code;
  std::optional<std::string> name;
  std::optional<std::string> schema_file;
  bool clear_schema = false;
};

void print_model(Context& ctx, const store::DeviceModel& m) {
  if (ctx.json()) cli::print_json(fleet::to_json(m));
  else cli::print_fields(std::cout, fleet::model_fields(m));
}

}  // namespace

void add_model_commands(CLI::App& app, Context& ctx) {
  auto* model = app.add_subcommand("model", "Device models: create, list, show, update, delete");
  model->require_subcommand(1);
  static ModelArgs args;

  auto* create = model->add_subcommand("create", "Create a device model");
  create->add_option("--code", args.code, "Model code, immutable: 1-50 characters of a-z, 0-9, _")->required();
  create->add_option("--name", args.name, "Human name")->required();
  create->add_option("--config-schema", args.schema_file, "JSON Schema file that device configs must satisfy");
  cli::add_output_option(*create, ctx.output);
  create->callback([&ctx] {
    std::optional<nlohmann::json> schema;
    if (args.schema_file) schema = read_json_file(*args.schema_file, "--config-schema");
    const auto m = cli::expect(fleet::create_model(ctx.session(), args.code, *args.name, schema));
    if (ctx.json()) cli::print_json(fleet::to_json(m));
    else std::cout << "created device model " << m.code << "\n";
  });

  auto* list = model->add_subcommand("list", "List device models");
  cli::add_output_option(*list, ctx.output);
  list->callback([&ctx] {
    const auto models = cli::expect(fleet::list_models(ctx.session()));
    if (ctx.json()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& m : models) out.push_back(fleet::to_json(m));
      cli::print_json(out);
      return;
    }
    cli::Table table(fleet::model_table_headers());
    for (const auto& m : models) table.add(fleet::model_table_row(m));
    table.print(std::cout);
  });

  auto* show = model->add_subcommand("show", "Show one device model");
  show->add_option("code", args.code, "Model code")->required();
  cli::add_output_option(*show, ctx.output);
  show->callback([&ctx] { print_model(ctx, cli::expect(fleet::show_model(ctx.session(), args.code))); });

  auto* update = model->add_subcommand("update", "Change a model's name or config schema (the code is immutable)");
  update->add_option("code", args.code, "Model code")->required();
  update->add_option("--name", args.name, "New human name");
  auto* schema_opt = update->add_option("--config-schema", args.schema_file, "New JSON Schema file");
  update->add_flag("--clear-config-schema", args.clear_schema, "Remove the config schema")->excludes(schema_opt);
  cli::add_output_option(*update, ctx.output);
  update->callback([&ctx] {
    fleet::ModelChanges changes;
    changes.name = args.name;
    if (args.schema_file) changes.config_schema = read_json_file(*args.schema_file, "--config-schema");
    else if (args.clear_schema) changes.config_schema = std::optional<nlohmann::json>();
    if (!changes.name && !changes.config_schema)
      throw core::Failure(core::Error::usage("nothing to change: give --name, --config-schema or --clear-config-schema"));
    print_model(ctx, cli::expect(fleet::update_model(ctx.session(), args.code, changes)));
  });

  auto* remove = model->add_subcommand("delete", "Delete a device model that has no devices");
  remove->add_option("code", args.code, "Model code")->required();
  cli::add_output_option(*remove, ctx.output);
  remove->callback([&ctx] {
    cli::expect(fleet::delete_model(ctx.session(), args.code));
    if (ctx.json()) cli::print_json({{"deleted", args.code}});
    else std::cout << "deleted device model " << args.code << "\n";
  });
}

}  // namespace iotfleet::provision_tool
