#include "commands.hpp"

#include "core/log.hpp"
#include "fleet/device_ca.hpp"
#include "mqtt/settings.hpp"
#include "store/database.hpp"

namespace iotfleet::rotate_job {

pqxx::connection& Context::db() {
  if (!db_) db_ = cli::expect(store::open_database(config));
  return *db_;
}

const core::SecretBox& Context::box() {
  if (!box_) box_ = cli::expect(idp::load_secret_box(config));
  return *box_;
}

rotation::CredentialInstaller& Context::installer() {
  if (!installer_) {
    // Local identities need the pepper; a Keycloak-only fleet may not have one.
    if (config.get(idp::kSecretPepper)) pepper_ = cli::expect(idp::load_pepper(config));
    installer_ = std::make_unique<rotation::IdentityInstaller>(
        box(), pepper_ ? &*pepper_ : nullptr, [this]() -> idp::IdentityProvider& {
          if (!keycloak_)
            keycloak_ = std::make_unique<idp::KeycloakProvider>(
                cli::expect(idp::KeycloakSettings::load(config)));
          return *keycloak_;
        });
    if (rotates_certificates()) {
      // Issuing and revoking happen in iot-rotate's and iot-serve's transactions: the index
      // must be the database's, which both reach.
      if (!cli::expect(fleet::ca_index_in_database(config)))
        throw core::Failure(core::Error::usage(
            "rotating certificates needs the CA's index in the database: set IOT_CA_INDEX=database",
            "'iot-cert index import' moves an existing index.jsonl there"));
      ca_ = cli::expect(pki::Authority::open(cli::expect(config.require(pki::kCaDir, ca_dir))));
      cli::expect(ca_->unlock(cli::expect(pki::load_passphrase(config, std::nullopt))));
      installer_->issue_certificates_with(&*ca_, cycle_settings().cert_days);
    }
  }
  return *installer_;
}

bool Context::rotates_certificates() const { return config.get(pki::kCaDir, ca_dir).has_value(); }

void add_ca_option(CLI::App& cmd, Context& ctx) {
  cmd.add_option("--ca", ctx.ca_dir,
                 "The device CA directory (env IOT_CA_DIR): certificate identities rotate too, "
                 "with IOT_CA_PASSPHRASE and IOT_CA_INDEX=database")
      ->option_text("DIR");
}

rotation::Notifier& Context::notifier() {
  if (!notifier_) {
    if (config.get(mqtt::kMqttUrl)) {
      notifier_ = std::make_unique<rotation::MqttNotifier>(
          cli::expect(mqtt::load_settings(config, {}, "iot-rotate")));
    } else {
      core::log::info("MQTT_URL is not set: devices learn of rotations from /iot/config only");
      notifier_ = std::make_unique<rotation::NoNotifier>();
    }
  }
  return *notifier_;
}

rotation::CycleSettings Context::cycle_settings() {
  return cli::expect(rotation::load_cycle_settings(config, cycle_flags));
}

void add_cycle_options(CLI::App& cmd, rotation::CycleFlags& f) {
  cmd.add_option("--cron", f.cron, "Rotation schedule (env ROTATION_CRON, default '0 8 * * 6#1')")
      ->option_text("EXPR");
  cmd.add_option("--tz", f.tz, "Time zone of the schedule (env ROTATION_TZ, default UTC)")
      ->option_text("ZONE");
  cmd.add_option("--timeout", f.timeout,
                 "Seconds a device has to complete its rotation (env ROTATION_TIMEOUT_SECONDS, "
                 "default 300)")
      ->option_text("SECONDS");
  cmd.add_option("--max-in-flight", f.max_in_flight,
                 "Devices rotating at once (env ROTATION_MAX_IN_FLIGHT, default 1)")
      ->option_text("N");
  cmd.add_option("--backoff-base", f.backoff_base,
                 "Wait after a first time-out, doubled per failure (env "
                 "ROTATION_BACKOFF_BASE_SECONDS, default 600)")
      ->option_text("SECONDS");
  cmd.add_option("--backoff-cap", f.backoff_cap,
                 "Longest wait between attempts (env ROTATION_BACKOFF_CAP_SECONDS, default 86400)")
      ->option_text("SECONDS");
  cmd.add_option("--cert-days", f.cert_days,
                 "Validity of the certificates a certificate rotation issues (env "
                 "ROTATION_CERT_DAYS, default 365)")
      ->option_text("DAYS");
}

}  // namespace iotfleet::rotate_job
