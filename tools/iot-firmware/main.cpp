// iot-firmware: inspect ESP32 application images; store them per device model with a version
// history; choose which version devices get. The work is in lib/firmware.
#include <iostream>

#include "commands.hpp"
#include "firmware/image.hpp"
#include "firmware/image_report.hpp"
#include "firmware/notice.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"

namespace iotfleet::firmware_tool {

firmware::Catalog& Context::catalog() {
  if (!catalog_) {
    db = cli::expect(store::open_database(config));
    session.emplace(fleet::Session{*db, store::default_actor()});
    // Changes are announced on MQTT when a broker is configured; devices poll either way.
    if (config.get(mqtt::kMqttUrl, mqtt_flags.url))
      notifier = std::make_unique<firmware::MqttNotifier>(cli::expect(mqtt::load_settings(config, mqtt_flags)));
    catalog_.emplace(*session, notifier.get());
  }
  return *catalog_;
}

void add_inspect_command(CLI::App& app, Context& ctx) {
  static std::string file;
  CLI::App* cmd = app.add_subcommand("inspect", "Show and check an ESP32 application image (like 'esptool image_info')");
  cmd->footer(
      "Exit status: 0 intact image; 1 after the report when the checksum or the appended\n"
      "SHA-256 does not match; 1 without a report when the file is not a readable image;\n"
      "3 when the file does not exist.");
  cmd->add_option("file", file, "The image (.bin) to inspect; '-' reads standard input")->required();
  cli::add_output_option(*cmd, ctx.output);
  cmd->callback([&ctx] {
    const firmware::ImageInfo info = cli::expect(firmware::read_image(file));
    if (ctx.json()) std::cout << firmware::to_json(info).dump(2) << "\n";
    else firmware::write_text(std::cout, info);
    std::cout.flush();
    const core::Status integrity = firmware::check_integrity(info);
    if (!integrity) {
      core::Error e = integrity.error();
      e.message = file + ": " + e.message;
      throw core::Failure(e);
    }
  });
}

}  // namespace iotfleet::firmware_tool

int main(int argc, char** argv) {
  using namespace iotfleet;
  CLI::App app{
      "iot-firmware: inspect ESP32 images, store them per device model, and choose which version\n"
      "devices get (the pinned version, else the newest upload). DATABASE_URL names the database.",
      "iot-firmware"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "iot-firmware 0.1.0");
  firmware_tool::Context ctx;
  firmware_tool::add_inspect_command(app, ctx);
  firmware_tool::add_catalog_commands(app, ctx);
  return cli::run(app, argc, argv);
}
