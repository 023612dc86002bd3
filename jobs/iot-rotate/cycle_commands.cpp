// iot-rotate run, status, trigger and cancel: thin wrappers over lib/rotation.
#include <iostream>

#include "commands.hpp"
#include "cli/table.hpp"
#include "core/clock.hpp"
#include "rotation/cycle.hpp"
#include "rotation/manual.hpp"
#include "rotation/status.hpp"
#include "store/audit.hpp"

namespace iotfleet::rotate_job {

void add_run_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand(
      "run", "Run one rotation cycle: schedule, time-outs, start (prints a JSON summary)");
  add_cycle_options(*cmd, ctx.cycle_flags);
  add_ca_option(*cmd, ctx);
  cmd->footer(R"(Exit codes: 0 the cycle ran; 5 a dependency (database, Keycloak, broker) was
unavailable for some of it: running again is safe. Run it every few minutes (the CronJob in
k8s/base does); the schedule decides when the fleet is queued.)");
  cmd->callback([&ctx] {
    const auto settings = ctx.cycle_settings();
    rotation::CycleContext cycle{ctx.db(), ctx.installer(), ctx.notifier(), ctx.box(),
                                 core::system_clock(), store::default_actor(), {}};
    const auto summary = cli::expect(rotation::run_cycle(cycle, settings));
    std::cout << rotation::to_json(summary).dump() << std::endl;
    if (summary.dependency_unavailable)
      throw core::Failure(core::Error::unavailable(
          std::to_string(summary.problems.size()) + " problem(s) with a dependency; see the summary",
          "run again when it is back: the cycle picks up where it stopped"));
  });
}

void add_status_command(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand("status", "Show rotation states, the window and the schedule");
  add_cycle_options(*cmd, ctx.cycle_flags);
  cli::add_output_option(*cmd, ctx.output);
  cmd->callback([&ctx] {
    const auto s = cli::expect(rotation::fleet_status(ctx.db(), ctx.cycle_settings(), core::system_clock().now()));
    if (ctx.json()) return cli::print_json(rotation::to_json(s));
    const auto j = rotation::to_json(s);
    auto text = [](const nlohmann::ordered_json& v) { return v.is_null() ? std::string("-") : v.is_string() ? v.get<std::string>() : v.dump(); };
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& [state, n] : j["states"].items()) fields.emplace_back(state, text(n));
    fields.emplace_back("inactive", text(j["inactive"]));
    fields.emplace_back("in flight", text(j["in_flight"]) + " of " + text(j["max_in_flight"]));
    fields.emplace_back("oldest credential", text(j["oldest_credential_created_at"]));
    fields.emplace_back("last tick handled", text(j["last_tick"]));
    fields.emplace_back("next tick", text(j["next_tick"]));
    fields.emplace_back("failing repeatedly", std::to_string(s.failing.size()));
    cli::print_fields(std::cout, fields);
    for (const auto& f : s.failing)
      std::cout << "  " << f.key << ": " << f.attempts << " failed attempts, next "
                << f.next_attempt_at.value_or("-") << "\n";
  });
}

void add_trigger_commands(CLI::App& app, Context& ctx) {
  static std::string device;
  static bool fleet = false;
  CLI::App* trigger = app.add_subcommand("trigger", "Queue the fleet or one device for rotation now");
  auto* fleet_flag = trigger->add_flag("--fleet", fleet, "Every active device");
  auto* device_opt = trigger->add_option("--device", device, "One device, by key")->option_text("KEY");
  fleet_flag->excludes(device_opt);
  add_ca_option(*trigger, ctx);
  trigger->callback([&ctx, fleet_flag, device_opt] {
    if (fleet_flag->count() + device_opt->count() == 0)
      throw core::Failure(core::Error::usage("give --fleet or --device KEY"));
    const auto now = core::system_clock().now();
    if (fleet) {
      const auto n = cli::expect(rotation::trigger_fleet(ctx.db(), store::default_actor(), now,
                                                             ctx.rotates_certificates()));
      std::cout << "queued " << n << " device(s); the next 'iot-rotate run' starts them\n";
      return;
    }
    cli::expect(rotation::trigger_device(ctx.db(), device, store::default_actor(), now,
                                           ctx.rotates_certificates()));
    std::cout << "queued device " << device << "\n";
  });

  static std::string cancel_key;
  CLI::App* cancel = app.add_subcommand("cancel", "Return a queued device to OK");
  cancel->add_option("--device", cancel_key, "The device, by key")->required()->option_text("KEY");
  cancel->callback([&ctx] {
    cli::expect(rotation::cancel_device(ctx.db(), cancel_key, store::default_actor()));
    std::cout << "cancelled the rotation of device " << cancel_key << "\n";
  });
}

}  // namespace iotfleet::rotate_job
