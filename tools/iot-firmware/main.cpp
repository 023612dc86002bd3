// iot-firmware: inspect and validate ESP32 application images. The work is in lib/firmware.

#include <iostream>
#include <memory>
#include <string>

#include "cli/app.hpp"
#include "firmware/image.hpp"
#include "firmware/image_report.hpp"

namespace {

using namespace iotfleet;

void add_inspect(CLI::App& app) {
  struct Options {
    std::string file;
    cli::OutputFormat output = cli::OutputFormat::table;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show and check an ESP32 application image (like 'esptool image_info')");
  cmd->footer(
      "Exit status: 0 intact image; 1 after the report when the checksum or the appended\n"
      "SHA-256 does not match; 1 without a report when the file is not a readable image;\n"
      "3 when the file does not exist.");
  cmd->add_option("file", opts->file, "The image (.bin) to inspect; '-' reads standard input")
      ->required();
  cli::add_output_option(*cmd, opts->output);
  cmd->callback([opts] {
    const firmware::ImageInfo info = cli::expect(firmware::read_image(opts->file));
    if (opts->output == cli::OutputFormat::json)
      std::cout << firmware::to_json(info).dump(2) << "\n";
    else
      firmware::write_text(std::cout, info);
    std::cout.flush();
    const core::Status integrity = firmware::check_integrity(info);
    if (!integrity) {
      core::Error e = integrity.error();
      e.message = opts->file + ": " + e.message;
      throw core::Failure(e);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Inspect and manage ESP32 firmware images.", "iot-firmware"};
  app.require_subcommand(1);
  add_inspect(app);
  return iotfleet::cli::run(app, argc, argv);
}
