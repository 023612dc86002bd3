// iot-cert verify, list, revoke, crl.
#include <iostream>

#include "cli/table.hpp"
#include "commands.hpp"
#include "core/clock.hpp"
#include "core/files.hpp"
#include "pki/verify.hpp"

namespace iotfleet::cert_tool {
namespace {

void add_verify(CLI::App& app, Context& ctx) {
  static std::string file, purpose = "auto";
  auto* cmd = app.add_subcommand(
      "verify", "Check a certificate: chain to the CA, validity, purpose, revocation");
  cmd->add_option("cert", file, "The certificate (PEM)")->required();
  add_ca_option(*cmd, ctx);
  cmd->add_option("--purpose", purpose,
                  "auto (sslclient for device, sslserver for server certificates), client, "
                  "server or none")
      ->capture_default_str();
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer("Exit status: 0 valid; 1 not valid (the reason is printed); 3 no such file.");
  cmd->callback([&ctx] {
    const auto ca = ctx.open_ca();
    const auto pem = cli::expect(core::read_file(file, 1 << 20));
    const auto cert = cli::expect(pki::Certificate::from_pem(pem, file));
    const auto v =
        pki::verify(cert, ca, cli::expect(pki::parse_purpose(purpose)), core::system_clock().now());
    if (ctx.json()) {
      auto j = to_json(v.info);
      j["purpose"] = v.purpose;
      j["valid"] = v.valid;
      if (!v.valid) j["reason"] = v.reason;
      cli::print_json(j);
    } else {
      std::cout << file << ": " << (v.valid ? "OK" : "NOT VALID: " + v.reason) << "\n";
      cli::print_fields(std::cout, {{"subject", v.info.subject},
                                    {"kind", std::string(pki::kind_name(v.info.kind))},
                                    {"serial", v.info.serial},
                                    {"not before", core::format_iso_utc(v.info.not_before)},
                                    {"not after", core::format_iso_utc(v.info.not_after)},
                                    {"purpose", v.purpose}});
    }
    std::cout.flush();
    if (!v.valid) throw core::Failure(core::Error::failure(file + ": " + v.reason));
  });
}

std::string status_of(const pki::IndexEntry& e, pki::TimePoint now) {
  if (e.revoked()) return "revoked";
  const auto until = pki::parse_iso_utc(e.not_after);
  return until && *until < now ? "expired" : "valid";
}

void add_list(CLI::App& app, Context& ctx) {
  static std::optional<std::string> within, kind;
  static bool include_revoked = false;
  auto* cmd = app.add_subcommand("list", "List the certificates the CA issued (expiry report)");
  add_ca_option(*cmd, ctx);
  cmd->add_option("--expiring-within", within,
                  "Only unrevoked certificates that expire within this period (30d, 12h, 2w), "
                  "expired ones included");
  cmd->add_option("--kind", kind, "Only this kind")->check(CLI::IsMember({"server", "device"}));
  cmd->add_flag("--include-revoked", include_revoked, "Also list revoked certificates");
  cli::add_output_option(*cmd, ctx.output);
  cmd->callback([&ctx] {
    const auto ca = ctx.open_ca();
    const auto now = core::system_clock().now();
    std::optional<pki::TimePoint> horizon;
    if (within) horizon = now + cli::expect(pki::parse_period(*within));
    const auto entries = cli::expect(ca.entries());
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    cli::Table table({"SERIAL", "KIND", "CN", "NOT AFTER", "STATUS"});
    for (const auto& e : entries) {
      if (kind && pki::kind_name(e.kind) != *kind) continue;
      if (e.revoked() && (!include_revoked || horizon)) continue;
      if (horizon) {
        const auto until = pki::parse_iso_utc(e.not_after);
        if (!until || *until > *horizon) continue;
      }
      const std::string status = status_of(e, now);
      if (ctx.json()) {
        nlohmann::ordered_json j = {
            {"serial", e.serial},           {"kind", pki::kind_name(e.kind)},
            {"common_name", e.common_name}, {"not_before", e.not_before},
            {"not_after", e.not_after},     {"status", status},
            {"sha256", e.sha256},           {"issued_at", e.issued_at}};
        if (e.device_key) j["device_key"] = *e.device_key;
        if (e.revoked()) {
          j["revoked_at"] = *e.revoked_at;
          j["revocation_reason"] = e.revocation_reason.value_or("unspecified");
        }
        rows.push_back(std::move(j));
      } else {
        table.add(
            {e.serial, std::string(pki::kind_name(e.kind)), e.common_name, e.not_after, status});
      }
    }
    if (ctx.json())
      cli::print_json(rows);
    else if (table.empty())
      std::cout << "no certificates\n";
    else
      table.print(std::cout);
  });
}

void add_revoke(CLI::App& app, Context& ctx) {
  static std::string target, reason = "unspecified";
  auto* cmd = app.add_subcommand("revoke",
                                 "Revoke a certificate by serial, or every certificate "
                                 "of a device key");
  cmd->add_option("target", target, "SERIAL (hex, colons allowed) or device KEY")->required();
  add_ca_option(*cmd, ctx);
  cmd->add_option("--reason", reason, "Reason code in the CRL")
      ->check(CLI::IsMember(pki::revocation_reasons()))
      ->capture_default_str();
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(
      "Recorded in the CA's index at once ('iot-cert verify' sees it); brokers see it in\n"
      "the next CRL ('iot-cert crl'). Exit status 3 when nothing matches, 4 when it is\n"
      "already revoked.");
  cmd->callback([&ctx] {
    auto ca = ctx.open_ca();
    const auto revoked = cli::expect(ca.revoke(target, reason, core::system_clock().now()));
    if (ctx.json()) {
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (const auto& e : revoked)
        rows.push_back({{"serial", e.serial},
                        {"common_name", e.common_name},
                        {"revoked_at", *e.revoked_at},
                        {"reason", reason}});
      cli::print_json({{"revoked", rows}});
      return;
    }
    for (const auto& e : revoked)
      std::cout << "revoked " << e.serial << " (" << pki::kind_name(e.kind) << " '" << e.common_name
                << "')\n";
    std::cout << "run 'iot-cert crl' to publish the new CRL to the broker\n";
  });
}

void add_crl(CLI::App& app, Context& ctx) {
  static std::string out;
  static int days = 30;
  auto* cmd = app.add_subcommand("crl", "Sign a CRL of every revoked certificate");
  add_ca_option(*cmd, ctx);
  cmd->add_option("-o,--out", out, "Where to write the CRL (PEM); '-' for standard output")
      ->required();
  cmd->add_option("--days", days, "Days until the CRL's nextUpdate; re-run before then")
      ->capture_default_str();
  add_passphrase_option(*cmd, ctx);
  cmd->callback([&ctx] {
    auto ca = ctx.unlock_ca();
    const auto pem = cli::expect(ca.crl_pem(days, core::system_clock().now()));
    cli::expect(core::write_file(
        out, pem,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
            std::filesystem::perms::group_read | std::filesystem::perms::others_read));
    if (out != "-") std::cout << "wrote " << out << "\n";
  });
}

}  // namespace

void add_report_commands(CLI::App& app, Context& ctx) {
  add_verify(app, ctx);
  add_list(app, ctx);
  add_revoke(app, ctx);
  add_crl(app, ctx);
}

}  // namespace iotfleet::cert_tool
