// iot-bootstrap-org: the idempotent platform bootstrap an install runs as Argo CD PostSync Jobs
// (DESIGN.md): the default organisation in OS2IoT, and the Keycloak realm objects the toolkit
// relies on. The work is in lib/bootstrap; this file parses flags and prints.
#include <iostream>

#include "bootstrap/keycloak_realm.hpp"
#include "bootstrap/os2iot.hpp"
#include "cli/app.hpp"

namespace iotfleet::bootstrap_job {
namespace {

std::string described(const std::string& text, const core::Setting& s) {
  std::string out = text + " (env " + std::string(s.env);
  if (!s.fallback.empty()) out += ", default " + std::string(s.fallback);
  return out + ")";
}

constexpr const char* kOs2iotFooter =
    R"(Credentials: BOOTSTRAP_USERNAME and BOOTSTRAP_PASSWORD, or BOOTSTRAP_USERNAME_FILE and
BOOTSTRAP_PASSWORD_FILE (the keys username and password of a mounted Secret); never flags.
The built-in password 'hunter2' is refused unless --allow-default-password.
Exit codes: 0 the organisation exists (created now or before; its id is printed); 2 a setting
is missing or the credentials were refused; 5 the API stayed unreachable or failing for
--wait seconds (running again is safe); 1 any other answer the tool did not expect.)";

constexpr const char* kKeycloakFooter =
    R"(Logs in as a realm administrator: KEYCLOAK_ADMIN_USERNAME and KEYCLOAK_ADMIN_PASSWORD (or
their *_FILE variants) of --login-realm. Ensures the endpoint's audience client (OIDC_AUDIENCE),
the device scope KEYCLOAK_DEVICE_SCOPE with its audience mapper, and the admin client
KEYCLOAK_ADMIN_CLIENT_ID with realm-management manage-clients (and the secret
KEYCLOAK_ADMIN_CLIENT_SECRET when it is set). Only what differs is written; a second run
prints that nothing changed. --dry-run prints the plan and changes nothing.
Exit codes: 0 done; 2 a setting is missing or the login was refused; 5 Keycloak was
unavailable (running again is safe); 1 anything else.)";

void print_changes(const std::vector<bootstrap::Change>& changes, bool dry_run) {
  if (changes.empty()) {
    std::cout << "nothing changed: the realm already has what the toolkit needs\n";
    return;
  }
  for (const auto& c : changes)
    std::cout << (dry_run ? "would " : "") << c.action << " " << c.object
              << (c.detail.empty() ? "" : " (" + c.detail + ")") << "\n";
}

void add_os2iot_command(CLI::App& app, cli::OutputFormat& output) {
  static bootstrap::Os2iotFlags f;
  CLI::App* cmd =
      app.add_subcommand("os2iot", "Ensure the OS2IoT organisation exists; print its id");
  cmd->add_option(
         "--api-url", f.api_url,
         described("Base URL of the OS2IoT backend (/api/v1 is added)", bootstrap::kOs2iotApiUrl))
      ->option_text("URL");
  cmd->add_option("--org", f.organization,
                  described("Name of the organisation", bootstrap::kOrganization))
      ->option_text("NAME");
  cmd->add_option("--wait", f.wait,
                  described("Seconds to wait for the API, with back-off, before giving up",
                            bootstrap::kBootstrapWait))
      ->option_text("SECONDS");
  cmd->add_option("--timeout", f.timeout,
                  described("Seconds per request", bootstrap::kOs2iotTimeout))
      ->option_text("SECONDS");
  cmd->add_option("--ca-file", f.ca_file,
                  described("CA certificate (PEM) for an https:// API", bootstrap::kOs2iotCaFile))
      ->option_text("FILE");
  cmd->add_flag("--allow-default-password", f.allow_default_password,
                "Accept OS2IoT's well-known default password (throw-away installs only)");
  cli::add_output_option(*cmd, output);
  cmd->footer(kOs2iotFooter);
  cmd->callback([&output] {
    const core::Config config;
    const auto settings = cli::expect(bootstrap::Os2iotSettings::load(config, f));
    idp::CurlHttpClient http(settings.http);
    const auto outcome = cli::expect(bootstrap::ensure_organization(settings, http));
    if (output == cli::OutputFormat::json) return cli::print_json(bootstrap::to_json(outcome));
    std::cout << (outcome.created ? "created organisation '" : "organisation '")
              << outcome.organization.name << (outcome.created ? "'" : "' already exists")
              << " (id " << outcome.organization.id_text() << ")\n";
  });
}

void add_keycloak_command(CLI::App& app, cli::OutputFormat& output) {
  static bootstrap::RealmFlags f;
  static bool dry_run = false;
  CLI::App* cmd = app.add_subcommand(
      "keycloak", "Ensure the Keycloak realm objects the toolkit needs; print what changed");
  auto& k = f.keycloak;
  cmd->add_option("--realm", k.realm, described("The realm", idp::kKeycloakRealm))
      ->option_text("REALM");
  cmd->add_option("--keycloak-url", k.url, described("Keycloak's base URL", idp::kKeycloakUrl))
      ->option_text("URL");
  cmd->add_option("--keycloak-base-path", k.base_path,
                  described("'/auth' for Keycloak before 17", idp::kKeycloakBasePath))
      ->option_text("PATH");
  cmd->add_option(
         "--login-realm", f.login_realm,
         described("Realm of the administrator who logs in", bootstrap::kKeycloakLoginRealm))
      ->option_text("REALM");
  cmd->add_option("--admin-client-id", k.admin_client_id,
                  described("The toolkit's admin client to ensure", idp::kKeycloakAdminClientId))
      ->option_text("ID");
  cmd->add_option("--device-scope", k.device_scope,
                  described("The device audience client scope", idp::kKeycloakDeviceScope))
      ->option_text("NAME");
  cmd->add_option("--audience", f.audience,
                  described("The endpoint's audience client", bootstrap::kEndpointAudience))
      ->option_text("ID");
  cmd->add_option("--keycloak-ca-file", k.ca_file,
                  described("CA certificate (PEM) for https://", idp::kKeycloakCaFile))
      ->option_text("FILE");
  cmd->add_option("--keycloak-timeout", k.timeout,
                  described("Seconds per request", idp::kKeycloakTimeout))
      ->option_text("SECONDS");
  cmd->add_flag("--dry-run", dry_run, "Print what differs; change nothing");
  cli::add_output_option(*cmd, output);
  cmd->footer(kKeycloakFooter);
  cmd->callback([&output] {
    const core::Config config;
    bootstrap::RealmBootstrap realm(cli::expect(bootstrap::RealmSettings::load(config, f)));
    const auto changes = cli::expect(dry_run ? realm.plan() : realm.apply());
    if (output == cli::OutputFormat::json) {
      nlohmann::ordered_json j;
      j["dry_run"] = dry_run;
      j["changed"] = !dry_run && !changes.empty();
      j["changes"] = bootstrap::to_json(changes);
      return cli::print_json(j);
    }
    print_changes(changes, dry_run);
  });
}

}  // namespace
}  // namespace iotfleet::bootstrap_job

int main(int argc, char** argv) {
  using namespace iotfleet;
  CLI::App app{
      "iot-bootstrap-org: idempotent platform bootstrap for an install: the OS2IoT organisation\n"
      "and the Keycloak realm objects of the toolkit. Safe to run again at any time.",
      "iot-bootstrap-org"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "iot-bootstrap-org 0.1.0");
  cli::OutputFormat output = cli::OutputFormat::table;
  bootstrap_job::add_os2iot_command(app, output);
  bootstrap_job::add_keycloak_command(app, output);
  return cli::run(app, argc, argv);
}
