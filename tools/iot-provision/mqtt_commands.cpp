// iot-provision mqtt export --passwd FILE --acl FILE: device identities for a Mosquitto that is
// configured with files (password_file, acl_file); iot-provision mqtt sync: the same identities
// in a Mosquitto running the dynamic-security plugin. The work is in lib/fleet/broker_*.
#include <iostream>

#include "context.hpp"
#include "core/files.hpp"
#include "fleet/broker_files.hpp"
#include "fleet/broker_sync.hpp"
#include "mqtt/dynsec.hpp"

namespace iotfleet::provision_tool {

namespace {

void add_sync(CLI::App& mqtt, Context& ctx) {
  auto* cmd = mqtt.add_subcommand(
      "sync", "Make the broker's dynamic-security clients match the devices (create, set, delete)");
  add_mqtt_options(*cmd, ctx);
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(
      "Each active device with a secret gets a client (user name = client id, password = its\n"
      "current secret) and a role device-<client_id> with its topics; clients of deleted or\n"
      "inactive devices are deleted (other clients are left alone). Safe to re-run: unchanged\n"
      "clients are not touched, so connected devices stay connected. Run it after creating,\n"
      "rotating or deleting devices, or set MQTT_IDENTITIES=dynsec so that device commands and\n"
      "iot-serve do it for each device. Needs DATABASE_URL, IOT_SECRET_KEY and MQTT_*.");
  cmd->callback([&ctx] {
    const auto settings = cli::expect(mqtt::load_settings(ctx.config, ctx.mqtt_flags, "iot-provision"));
    const auto& box = ctx.secret_box();
    auto& session = ctx.session();
    auto broker = cli::expect(mqtt::DynsecClient::connect(settings, std::chrono::seconds(ctx.mqtt_timeout)));
    const auto r = cli::expect(fleet::sync_broker_identities(session, box, *broker));
    if (ctx.json()) {
      cli::print_json({{"created", r.created},
                       {"updated", r.updated},
                       {"removed", r.removed},
                       {"unchanged", r.unchanged},
                       {"certificate_devices_skipped", r.certificate_devices_skipped}});
      return;
    }
    std::cout << "created " << r.created.size() << ", updated " << r.updated.size() << ", removed "
              << r.removed.size() << ", unchanged " << r.unchanged << "\n";
    if (r.certificate_devices_skipped > 0)
      std::cout << "skipped " << r.certificate_devices_skipped
                << " device(s) with a certificate identity (not managed through the plugin yet)\n";
  });
}

}  // namespace

void add_mqtt_commands(CLI::App& app, Context& ctx) {
  static std::string passwd, acl;
  auto* mqtt = app.add_subcommand("mqtt", "Device identities on the MQTT broker");
  mqtt->require_subcommand(1);
  add_sync(*mqtt, ctx);
  auto* cmd = mqtt->add_subcommand(
      "export", "Write Mosquitto's password_file ($7$, as mosquitto_passwd) and acl_file");
  cmd->add_option("--passwd", passwd,
                  "Password file to write (0600; readable by the broker's "
                  "user only through ownership)")
      ->required();
  cmd->add_option("--acl", acl, "ACL file to write (0644)")->required();
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(
      "Each active device with a secret gets user name = its client id and password = its\n"
      "current secret (what its provisioning package holds); devices with a certificate\n"
      "identity are in the ACL under their device key (use_identity_as_username). Every device\n"
      "may write sensors/<key>/# and devices/<key>/status, and read commands/<key>/#,\n"
      "broadcast/# and iotsupport/<client_id>/#. Re-export after creating, rotating or deleting\n"
      "devices, then send the broker SIGHUP. Needs DATABASE_URL and IOT_SECRET_KEY.");
  cmd->callback([&ctx] {
    const auto files = cli::expect(fleet::export_broker_files(ctx.session(), ctx.secret_box()));
    using std::filesystem::perms;
    cli::expect(core::write_file(passwd, files.passwd, perms::owner_read | perms::owner_write));
    cli::expect(core::write_file(
        acl, files.acl,
        perms::owner_read | perms::owner_write | perms::group_read | perms::others_read));
    if (ctx.json()) {
      cli::print_json({{"passwd", passwd},
                       {"acl", acl},
                       {"password_devices", files.password_devices},
                       {"certificate_devices", files.certificate_devices},
                       {"inactive_skipped", files.inactive_skipped}});
      return;
    }
    std::cout << "wrote " << passwd << " (" << files.password_devices << " device(s)) and " << acl
              << " (" << files.password_devices + files.certificate_devices << " device(s))\n";
    if (files.inactive_skipped > 0)
      std::cout << "left out " << files.inactive_skipped << " inactive device(s)\n";
  });
}

}  // namespace iotfleet::provision_tool
