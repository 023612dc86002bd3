// iot-rotate: rotates device credentials on a schedule, one cycle per run of a Kubernetes CronJob
// (../shared/specs/rotation.md). The work is in lib/; each subcommand adds itself.
#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace iotfleet;
  CLI::App app{
      "iot-rotate: rotates device credentials on the schedule ROTATION_CRON (in ROTATION_TZ).",
      "iot-rotate"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "iot-rotate 0.1.0");
  rotate_job::Context ctx;
  rotate_job::add_run_command(app, ctx);
  rotate_job::add_status_command(app, ctx);
  rotate_job::add_trigger_commands(app, ctx);
  rotate_job::add_next_command(app, ctx);
  return cli::run(app, argc, argv);
}
