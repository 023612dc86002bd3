#pragma once
// What every iot-cert subcommand shares: the configuration, the output format and the optional
// --passphrase-file. The work is in lib/pki.

#include <optional>
#include <string>

#include "cli/app.hpp"
#include "core/config.hpp"
#include "pki/authority.hpp"

namespace iotfleet::cert_tool {

using pki::kCaDir;

struct Context {
  core::Config config;
  cli::OutputFormat output = cli::OutputFormat::table;
  std::optional<std::string> passphrase_file;
  std::optional<std::string> ca_dir;
  std::optional<std::string> ca_index;  // --ca-index: file | database

  bool json() const { return output == cli::OutputFormat::json; }
  std::string passphrase() const;
  /// The CA of --ca / IOT_CA_DIR, opened for reading.
  pki::Authority open_ca() const;
  /// As open_ca(), with its key decrypted.
  pki::Authority unlock_ca() const;
};

/// Adds --passphrase-file (bound to ctx) to a subcommand.
void add_passphrase_option(CLI::App& cmd, Context& ctx);
/// Adds --ca DIR and --ca-index (bound to ctx) to a subcommand.
void add_ca_option(CLI::App& cmd, Context& ctx);

nlohmann::ordered_json to_json(const pki::CertInfo& info);

void add_ca_commands(CLI::App& app, Context& ctx);
void add_issue_commands(CLI::App& app, Context& ctx);
void add_report_commands(CLI::App& app, Context& ctx);

}  // namespace iotfleet::cert_tool
