// iot-firmware upload|list|show|download|pin|unpin|rollback|prune
#include <iostream>

#include "cli/table.hpp"
#include "core/log.hpp"
#include "commands.hpp"
#include "core/files.hpp"
#include "firmware/bundle.hpp"
#include "firmware/catalog_views.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"

namespace iotfleet::firmware_tool {
namespace {

struct Args {
  std::string model;
  std::string version;
  std::optional<std::string> maybe_version;
  std::string file;
  std::optional<std::string> notes;
  bool allow_chip_mismatch = false;
  std::string out;
  std::size_t keep = 5;
};
Args args;

// Reports a change of what devices get, and a failed announcement as a warning (the change
// itself is committed; devices also see it when they poll).
void print_change(Context& ctx, firmware::Catalog& catalog, const firmware::ServingChange& change) {
  if (ctx.json()) cli::print_json(firmware::to_json(change));
  else std::cout << firmware::describe(change) << "\n";
  if (catalog.notice_error()) core::log::warn("devices were not notified: " + catalog.notice_error()->message);
}

void add_model_option(CLI::App* cmd) { cmd->add_option("--model", args.model, "Device model code")->required(); }

// The broker that hears about changes to what devices get (optional: devices also poll).
void add_mqtt_options(CLI::App* cmd, Context& ctx) {
  auto& f = ctx.mqtt_flags;
  cmd->add_option("--mqtt-url", f.url, "Broker to announce the change on (env MQTT_URL; none: no announcement)");
  cmd->add_option("--mqtt-ca-file", f.ca_file, "CA bundle for an mqtts:// broker (env MQTT_CA_FILE)");
  cmd->add_option("--mqtt-client-cert", f.client_cert, "Client certificate (env MQTT_CLIENT_CERT)");
  cmd->add_option("--mqtt-client-key", f.client_key, "Client key (env MQTT_CLIENT_KEY)");
  cmd->add_option("--mqtt-username", f.username, "User name (env MQTT_USERNAME; password from MQTT_PASSWORD)");
}

}  // namespace

void add_catalog_commands(CLI::App& app, Context& ctx) {
  auto* upload = app.add_subcommand("upload", "Validate and store an image (or a ZIP bundle) for a model");
  add_model_option(upload);
  add_mqtt_options(upload, ctx);
  upload->add_option("file", args.file, "The image (.bin) or bundle (.zip); '-' reads standard input")->required();
  upload->add_option("--notes", args.notes, "Release notes kept with the version");
  upload->add_flag("--allow-chip-mismatch", args.allow_chip_mismatch,
                   "Accept an image for another chip than the model's previous ones");
  cli::add_output_option(*upload, ctx.output);
  upload->callback([&ctx] {
    const auto bytes = cli::expect(core::read_file(args.file, firmware::kMaxBundleBytes));
    auto& catalog = ctx.catalog();
    const auto result = cli::expect(catalog.upload({args.model, args.file, bytes, args.notes, args.allow_chip_mismatch}));
    if (ctx.json()) cli::print_json(firmware::to_json(result));
    else std::cout << firmware::describe(result) << "\n";
    if (catalog.notice_error()) core::log::warn("devices were not notified: " + catalog.notice_error()->message);
  });

  auto* list = app.add_subcommand("list", "List a model's firmware versions, newest first");
  add_model_option(list);
  cli::add_output_option(*list, ctx.output);
  list->callback([&ctx] {
    const auto entries = cli::expect(ctx.catalog().list(args.model));
    if (ctx.json()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& e : entries) out.push_back(firmware::to_json(e));
      cli::print_json(out);
      return;
    }
    cli::Table table(firmware::version_table_headers());
    for (const auto& e : entries) table.add(firmware::version_table_row(e));
    table.print(std::cout);
  });

  auto* show = app.add_subcommand("show", "Show one firmware version");
  add_model_option(show);
  show->add_option("--version", args.version, "Firmware version")->required();
  cli::add_output_option(*show, ctx.output);
  show->callback([&ctx] {
    const auto entry = cli::expect(ctx.catalog().show(args.model, args.version));
    if (ctx.json()) cli::print_json(firmware::to_json(entry));
    else cli::print_fields(std::cout, firmware::version_fields(entry));
  });

  auto* download = app.add_subcommand("download", "Write a stored image to a file (default: what devices get now)");
  add_model_option(download);
  download->add_option("--version", args.maybe_version, "Firmware version");
  download->add_option("-o,--out", args.out, "Output file ('-' for standard output)")->required();
  download->callback([&ctx] {
    const auto d = cli::expect(ctx.catalog().download(args.model, args.maybe_version));
    using std::filesystem::perms;
    cli::expect(core::write_file(args.out, d.bytes, perms::owner_read | perms::owner_write | perms::group_read | perms::others_read));
    if (args.out != "-")
      std::cerr << "wrote " << args.model << " " << d.version.version << " (" << d.bytes.size() << " bytes, sha256 "
                << d.version.sha256 << ") to " << args.out << "\n";
  });

  auto* pin = app.add_subcommand("pin", "Make every device of the model get this version");
  add_model_option(pin);
  add_mqtt_options(pin, ctx);
  pin->add_option("--version", args.version, "Firmware version")->required();
  cli::add_output_option(*pin, ctx.output);
  pin->callback([&ctx] {
    auto& catalog = ctx.catalog();
    print_change(ctx, catalog, cli::expect(catalog.pin(args.model, args.version)));
  });

  auto* unpin = app.add_subcommand("unpin", "Go back to serving the newest version");
  add_model_option(unpin);
  add_mqtt_options(unpin, ctx);
  cli::add_output_option(*unpin, ctx.output);
  unpin->callback([&ctx] {
    auto& catalog = ctx.catalog();
    print_change(ctx, catalog, cli::expect(catalog.unpin(args.model)));
  });

  auto* rollback = app.add_subcommand("rollback", "Pin the version before the one devices get now");
  add_model_option(rollback);
  add_mqtt_options(rollback, ctx);
  cli::add_output_option(*rollback, ctx.output);
  rollback->callback([&ctx] {
    auto& catalog = ctx.catalog();
    print_change(ctx, catalog, cli::expect(catalog.rollback(args.model)));
  });

  auto* prune = app.add_subcommand("prune", "Remove old versions (never the pinned or the newest one)");
  add_model_option(prune);
  prune->add_option("--keep", args.keep, "How many of the newest versions to keep")
      ->required()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  cli::add_output_option(*prune, ctx.output);
  prune->callback([&ctx] {
    const auto report = cli::expect(ctx.catalog().prune(args.model, args.keep));
    if (ctx.json()) {
      cli::print_json({{"removed", report.removed_versions}, {"blobs_freed", report.blobs_freed}});
      return;
    }
    if (report.removed_versions.empty()) std::cout << "nothing to prune\n";
    for (const auto& v : report.removed_versions) std::cout << "removed " << args.model << " " << v << "\n";
  });
}

}  // namespace iotfleet::firmware_tool
