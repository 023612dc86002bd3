// iot-provision: device models, devices and provisioning packages (see README.md).
#include <iostream>

#include "cli/table.hpp"
#include "context.hpp"
#include "core/files.hpp"
#include "mqtt/dynsec.hpp"
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
    throw core::Failure(core::Error::usage("the '" + kind + "' identity has no identity provider (certificates are "
                                           "managed with iot-cert)"));
  };
}

bool Context::broker_identities_kept() {
  const auto mode = config.get(fleet::kMqttIdentities, mqtt_identities).value_or("none");
  if (mode == "none") return false;
  if (mode != "dynsec")
    throw core::Failure(core::Error::usage("--mqtt-identities / MQTT_IDENTITIES is '" + mode + "'",
                                           "use dynsec (Mosquitto's dynamic-security plugin) or none"));
  cli::expect(mqtt::load_settings(config, mqtt_flags, "iot-provision"));  // bad settings: exit 2 now
  return true;
}

void Context::keep_broker_in_step(const std::vector<fleet::BrokerDevice>& devices) {
  if (devices.empty() || !broker_identities_kept()) return;
  const auto settings = cli::expect(mqtt::load_settings(config, mqtt_flags, "iot-provision"));
  auto synced = [&]() -> core::Result<fleet::BrokerSyncReport> {
    auto broker = mqtt::DynsecClient::connect(settings, std::chrono::seconds(mqtt_timeout));
    if (!broker) return broker.error();
    return fleet::sync_broker_devices(session(), secret_box(), **broker, devices);
  }();
  if (!synced) {
    auto e = synced.error();
    e.message = "the devices are changed in the database, but not on the MQTT broker: " + e.message;
    e.hint = "run 'iot-provision mqtt sync' once the broker is reachable";
    throw core::Failure(e);
  }
  if (!json())
    std::cerr << "iot-provision: broker identities: " << synced->created.size() << " created, "
              << synced->updated.size() << " updated, " << synced->removed.size() << " removed\n";
}

void add_mqtt_options(CLI::App& cmd, Context& ctx) {
  auto* g = cmd.add_option_group(
      "MQTT broker", "A user with the dynamic-security plugin's admin role; its password comes from "
                     "MQTT_PASSWORD (or MQTT_PASSWORD_FILE), never a flag");
  auto& f = ctx.mqtt_flags;
  g->add_option("--mqtt-url", f.url, "The broker (env MQTT_URL)");
  g->add_option("--mqtt-username", f.username, "The plugin's admin user (env MQTT_USERNAME)");
  g->add_option("--mqtt-ca-file", f.ca_file, "CA of the broker's certificate (env MQTT_CA_FILE)");
  g->add_option("--mqtt-client-id", f.client_id, "Client id (env MQTT_CLIENT_ID)");
  g->add_option("--mqtt-timeout", ctx.mqtt_timeout, "Seconds to wait for the broker and each answer")
      ->check(CLI::Range(1, 300))
      ->capture_default_str();
}

void add_broker_identity_options(CLI::App& cmd, Context& ctx) {
  add_mqtt_options(cmd, ctx);
  cmd.add_option("--mqtt-identities", ctx.mqtt_identities,
                 "Keep device identities on the broker in step: dynsec (Mosquitto's dynamic-security "
                 "plugin) or none (env MQTT_IDENTITIES, default none; then run 'mqtt sync' or 'mqtt export')")
      ->check(CLI::IsMember({"dynsec", "none"}))
      ->group("MQTT broker");
  // Settings are checked before the command changes anything.
  cmd.parse_complete_callback([&ctx] { ctx.broker_identities_kept(); });
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
