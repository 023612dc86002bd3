// iot-provision: device models, devices and provisioning packages (see README.md).
#include <iostream>

#include "cli/table.hpp"
#include "context.hpp"
#include "core/files.hpp"
#include "fleet/config_schema.hpp"
#include "fleet/test_data.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

namespace iotfleet::provision_tool {

fleet::Session& Context::session() {
  if (!session_) {
    db = cli::expect(store::open_database(config));
    session_.emplace(fleet::Session{*db, store::default_actor()});
  }
  return *session_;
}

const core::SecretBox& Context::secret_box() {
  if (!box) box = cli::expect(idp::load_secret_box(config));
  return *box;
}

const idp::Pepper& Context::local_pepper() {
  if (!pepper) pepper = cli::expect(idp::load_pepper(config));
  return *pepper;
}

fleet::LocalSecrets Context::local_secrets() {
  const auto& b = secret_box();
  return {b, local_pepper()};
}

idp::KeycloakProvider& Context::keycloak() {
  if (!keycloak_) keycloak_ = std::make_unique<idp::KeycloakProvider>(cli::expect(idp::KeycloakSettings::load(config, keycloak_flags)));
  return *keycloak_;
}

fleet::ProviderFor Context::providers() {
  return [this](const std::string& kind) -> idp::IdentityProvider& {
    if (kind == "keycloak") return keycloak();
    if (kind == "local") {
      if (!local_) local_ = std::make_unique<idp::LocalProvider>(session().db, secret_box(), local_pepper());
      return *local_;
    }
    throw core::Failure(core::Error::usage("the '" + kind + "' identity is not available in this version of the toolkit"));
  };
}

nlohmann::json read_json_file(const std::string& path, const std::string& flag) {
  const auto text = cli::expect(core::read_file(path, 1 << 20));
  return cli::expect(fleet::parse_json(text, flag + " " + path));
}

namespace {

void add_migrate(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("migrate", "Apply database schema migrations (safe to run concurrently)");
  cli::add_output_option(*cmd, ctx.output);
  cmd->callback([&ctx] {
    auto db = cli::expect(store::open_database(ctx.config, false));
    const auto report = cli::expect(store::migrate(*db));
    if (ctx.output == cli::OutputFormat::json) {
      cli::print_json({{"from_version", report.from_version}, {"to_version", report.to_version},
                       {"applied", report.applied}});
    } else if (report.applied.empty()) {
      std::cout << "schema is up to date (version " << report.to_version << ")\n";
    } else {
      for (const auto& name : report.applied) std::cout << "applied " << name << "\n";
      std::cout << "schema is at version " << report.to_version << "\n";
    }
  });
}

void add_load_test_data(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("load-test-data", "Create a small realistic fleet to try things out");
  cli::add_output_option(*cmd, ctx.output);
  cmd->callback([&ctx] {
    auto& session = ctx.session();
    const auto report = cli::expect(fleet::load_test_data(session, ctx.local_secrets()));
    if (ctx.output == cli::OutputFormat::json) {
      nlohmann::ordered_json devices = nlohmann::ordered_json::array();
      for (const auto& d : report.devices_created)
        devices.push_back({{"key", d.key}, {"client_id", d.client_id}, {"model", d.model}});
      cli::print_json({{"models_created", report.models_created}, {"devices_created", devices}});
      return;
    }
    std::cout << "created " << report.models_created.size() << " model(s) and "
              << report.devices_created.size() << " device(s)\n";
  });
}

}  // namespace
}  // namespace iotfleet::provision_tool

int main(int argc, char** argv) {
  using namespace iotfleet;
  CLI::App app{
      "iot-provision: device models, devices and their provisioning packages.\n"
      "Settings come from flags or the environment (flags win). DATABASE_URL names the\n"
      "PostgreSQL database; IOT_SECRET_KEY (the secret box key ring) and IOT_SECRET_PEPPER\n"
      "are needed to create devices and write packages; devices with a Keycloak identity\n"
      "need the KEYCLOAK_* settings (see 'iot-provision device create --help'). Each secret\n"
      "may also be given as a file with <NAME>_FILE.",
      "iot-provision"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "iot-provision 0.1.0");
  provision_tool::Context ctx;
  provision_tool::add_migrate(app, ctx);
  provision_tool::add_model_commands(app, ctx);
  provision_tool::add_device_commands(app, ctx);
  provision_tool::add_package_command(app, ctx);
  provision_tool::add_mqtt_commands(app, ctx);
  provision_tool::add_load_test_data(app, ctx);
  return cli::run(app, argc, argv);
}
