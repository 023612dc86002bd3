// iot-rotate next: when the rotation schedule fires, to check ROTATION_CRON before relying on it.
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "core/clock.hpp"
#include "cron/settings.hpp"

namespace iotfleet::rotate_job {

namespace {

struct NextArgs {
  std::optional<std::string> cron, tz, from;
  std::size_t count = 5;
};

constexpr const char* kFooter =
    R"(Cron fields: minute hour day-of-month month day-of-week. Each is *, a number, a list
(1,15), a range (9-17) or a step (*/15, 10-40/5); months JAN-DEC, weekdays SUN-SAT (0 and 7
are Sunday). Day-of-month also takes L (last day), 15W (nearest weekday) and LW; day-of-week
takes 6#1 (first Saturday) and 5L (last Friday). Macros: @yearly @monthly @weekly @daily
@hourly. When both day fields are restricted, a day matching either of them fires (but a
day-of-week with # or L then decides alone, as in croniter).
Times are read in --tz: a wall time skipped by daylight saving fires once, after the jump;
a repeated one fires once.

Examples:
  iot-rotate next                                  the configured schedule, from now
  iot-rotate next --cron '30 2 * * *' --tz Europe/Copenhagen --from 2026-03-28 --count 3
  iot-rotate next --cron @monthly --output json)";

}  // namespace

void add_next_command(CLI::App& app, Context& ctx) {
  static NextArgs args;
  CLI::App* cmd = app.add_subcommand(
      "next", "Print the next times the rotation schedule fires (UTC, ISO 8601)");
  cmd->add_option(
         "--cron", args.cron,
         "Cron expression (env ROTATION_CRON, default '0 8 * * 6#1': 08:00 on the first Saturday)")
      ->option_text("EXPR");
  cmd->add_option("--tz", args.tz,
                  "IANA time zone the expression is read in (env ROTATION_TZ, default UTC)")
      ->option_text("ZONE");
  cmd->add_option(
         "--from", args.from,
         "Start strictly after this time, e.g. 2026-12-05T08:00:00Z or 2026-12-05; without an "
         "offset it is wall time in --tz (default: now)")
      ->option_text("TIME");
  cmd->add_option("--count", args.count, "How many times to print, 1-1000 (default 5)")
      ->check(CLI::Range(1, 1000))
      ->option_text("N");
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(kFooter);
  cmd->callback([&ctx] {
    const auto rotation = cli::expect(cron::load_rotation_schedule(ctx.config, args.cron, args.tz));
    const auto from = args.from
                          ? cli::expect(cron::parse_time(*args.from, rotation.zone))
                          : std::chrono::floor<std::chrono::seconds>(core::system_clock().now());
    const auto times = cli::expect(cron::upcoming(rotation, from, args.count));
    if (ctx.json()) {
      auto out = nlohmann::ordered_json::array();
      for (const auto t : times) out.push_back(core::format_iso_utc(t));
      cli::print_json(out);
      return;
    }
    for (const auto t : times) std::cout << core::format_iso_utc(t) << "\n";
  });
}

}  // namespace iotfleet::rotate_job
