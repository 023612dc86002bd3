#pragma once
// What the iot-rotate subcommands share: settings, the database and the secret box (opened on
// first use, so `next` needs neither), and the output format. Each subcommand adds itself with
// an add_*_command function.

#include <memory>
#include <optional>
#include <pqxx/pqxx>

#include "cli/app.hpp"
#include "core/config.hpp"
#include "core/secret_box.hpp"
#include "idp/keycloak.hpp"
#include "idp/local.hpp"
#include "pki/authority.hpp"
#include "rotation/installer.hpp"
#include "rotation/notifier.hpp"
#include "rotation/settings.hpp"

namespace iotfleet::rotate_job {

struct Context {
  core::Config config;
  cli::OutputFormat output = cli::OutputFormat::table;  // bound to every subcommand's --output
  rotation::CycleFlags cycle_flags;                     // bound to run's and status's options
  std::unique_ptr<pqxx::connection> db_;
  std::optional<core::SecretBox> box_;
  std::optional<idp::Pepper> pepper_;
  std::unique_ptr<idp::KeycloakProvider> keycloak_;
  std::unique_ptr<rotation::IdentityInstaller> installer_;
  std::unique_ptr<rotation::Notifier> notifier_;
  std::optional<std::string> ca_dir;  // --ca (IOT_CA_DIR): rotate certificate identities too
  std::optional<pki::Authority> ca_;

  bool json() const { return output == cli::OutputFormat::json; }
  pqxx::connection& db();
  const core::SecretBox& box();
  rotation::CredentialInstaller& installer();
  rotation::Notifier& notifier();
  rotation::CycleSettings cycle_settings();
  /// Whether certificate identities rotate: a device CA is configured.
  bool rotates_certificates() const;
};

/// Adds --ca DIR (the device CA, for certificate identities) to a subcommand.
void add_ca_option(CLI::App& cmd, Context& ctx);

/// Adds the cycle's tuning options (--cron, --tz, --timeout, …) to a subcommand.
void add_cycle_options(CLI::App& cmd, rotation::CycleFlags& flags);

void add_next_command(CLI::App& app, Context& ctx);
void add_run_command(CLI::App& app, Context& ctx);
void add_status_command(CLI::App& app, Context& ctx);
void add_trigger_commands(CLI::App& app, Context& ctx);

}  // namespace iotfleet::rotate_job
