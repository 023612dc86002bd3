#pragma once
// What the iot-rotate subcommands share: settings and the output format. Each subcommand adds
// itself with an add_*_command function.

#include "cli/app.hpp"
#include "core/config.hpp"

namespace iotfleet::rotate_job {

struct Context {
  core::Config config;
  cli::OutputFormat output = cli::OutputFormat::table;  // bound to every subcommand's --output

  bool json() const { return output == cli::OutputFormat::json; }
};

void add_next_command(CLI::App& app, Context& ctx);

}  // namespace iotfleet::rotate_job
