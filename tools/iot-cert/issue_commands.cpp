// iot-cert issue server, iot-cert issue device.
#include <iostream>

#include "cli/table.hpp"
#include "commands.hpp"
#include "core/clock.hpp"

namespace iotfleet::cert_tool {
namespace {

void print_issued(const Context& ctx, const pki::Issued& issued, const pki::SavedFiles& files) {
  if (ctx.json()) {
    auto j = to_json(issued.info);
    j["files"] = {{"certificate", files.certificate}, {"key", files.key}, {"ca", files.ca}};
    cli::print_json(j);
    return;
  }
  std::cout << "issued " << pki::kind_name(issued.info.kind) << " certificate for '"
            << issued.info.common_name << "'\n";
  std::string sans;
  for (const auto& s : issued.info.sans) sans += (sans.empty() ? "" : ", ") + s;
  std::vector<std::pair<std::string, std::string>> fields = {
      {"serial", issued.info.serial}, {"valid until", core::format_iso_utc(issued.info.not_after)},
      {"key type", issued.info.key},  {"certificate", files.certificate},
      {"key", files.key + " (0600)"}, {"ca", files.ca}};
  if (!sans.empty()) fields.insert(fields.begin() + 1, {"names", sans});
  cli::print_fields(std::cout, fields);
}

struct Common {
  std::string out;
  std::string key_type = "ec-p256";
  int days = 0;
};

void add_common(CLI::App& cmd, Context& ctx, Common& c) {
  add_ca_option(cmd, ctx);
  cmd.add_option("--out", c.out, "Directory for the key (0600), certificate and ca.crt")
      ->required();
  cmd.add_option("--days", c.days, "Validity in days")->capture_default_str();
  cmd.add_option("--key-type", c.key_type, "ec-p256, rsa-2048 or rsa-4096")->capture_default_str();
  add_passphrase_option(cmd, ctx);
  cli::add_output_option(cmd, ctx.output);
}

void add_server(CLI::App& parent, Context& ctx) {
  static Common c{.out = {}, .key_type = "ec-p256", .days = 825};
  static std::string cn, name = "server";
  static std::vector<std::string> sans;
  auto* cmd = parent.add_subcommand("server", "A server certificate for the broker (serverAuth)");
  cmd->add_option("--cn", cn, "Common name, normally the broker's host name")->required();
  cmd->add_option("--san", sans,
                  "A name clients connect to: DNS:<host> or IP:<address> (repeatable; default "
                  "the --cn)");
  cmd->add_option("--name", name, "Base name of the files: <name>.crt, <name>.key")
      ->capture_default_str();
  add_common(*cmd, ctx, c);
  cmd->callback([&ctx] {
    auto ca = ctx.unlock_ca();
    const auto type = cli::expect(pki::parse_key_type(c.key_type));
    const auto now = core::system_clock().now();
    // Refuse before issuing, so a conflict leaves no certificate in the index.
    cli::expect(pki::check_can_save(c.out, name, ca.certificate()));
    auto issued = cli::expect(ca.issue_server(cn, sans, c.days, type, now));
    print_issued(ctx, issued, cli::expect(pki::save_issued(c.out, name, issued, ca.certificate())));
  });
}

void add_device(CLI::App& parent, Context& ctx) {
  static Common c{.out = {}, .key_type = "ec-p256", .days = 365};
  static std::string key;
  auto* cmd = parent.add_subcommand(
      "device", "A client certificate for a device (clientAuth, CN = device key)");
  cmd->add_option("key", key, "The device key (8 characters a-z, 0-9)")->required();
  add_common(*cmd, ctx, c);
  cmd->footer(
      "Writes <out>/<key>.key, <out>/<key>.crt and <out>/ca.crt; exit status 4 when the\n"
      "key or certificate file exists.");
  cmd->callback([&ctx] {
    auto ca = ctx.unlock_ca();
    const auto type = cli::expect(pki::parse_key_type(c.key_type));
    cli::expect(pki::check_can_save(c.out, key, ca.certificate()));
    auto issued = cli::expect(ca.issue_device(key, c.days, type, core::system_clock().now()));
    print_issued(ctx, issued, cli::expect(pki::save_issued(c.out, key, issued, ca.certificate())));
  });
}

}  // namespace

void add_issue_commands(CLI::App& app, Context& ctx) {
  auto* issue = app.add_subcommand("issue", "Issue a server or device certificate");
  issue->require_subcommand(1);
  add_server(*issue, ctx);
  add_device(*issue, ctx);
}

}  // namespace iotfleet::cert_tool
