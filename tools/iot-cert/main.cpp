// iot-cert: the device CA, the broker's server certificate, device client certificates,
// verification, an expiry report, revocation and CRLs. The work is in lib/pki.
#include "commands.hpp"
#include "core/clock.hpp"
#include "fleet/device_ca.hpp"

namespace iotfleet::cert_tool {

std::string Context::passphrase() const {
  return cli::expect(pki::load_passphrase(config, passphrase_file));
}

pki::Authority Context::open_ca() const {
  return cli::expect(
      fleet::open_device_ca(config, cli::expect(config.require(kCaDir, ca_dir)), ca_index));
}

pki::Authority Context::unlock_ca() const {
  auto ca = open_ca();
  cli::expect(ca.unlock(passphrase()));
  return ca;
}

void add_passphrase_option(CLI::App& cmd, Context& ctx) {
  cmd.add_option("--passphrase-file", ctx.passphrase_file,
                 "File holding the CA passphrase (default: IOT_CA_PASSPHRASE or "
                 "IOT_CA_PASSPHRASE_FILE; never a flag value)");
}

void add_ca_option(CLI::App& cmd, Context& ctx) {
  cmd.add_option("--ca", ctx.ca_dir, "The CA directory (env IOT_CA_DIR)");
  cmd.add_option("--ca-index", ctx.ca_index,
                 "Where the CA's index lives: file (index.jsonl in the CA directory) or database "
                 "(PostgreSQL at DATABASE_URL, needed for certificate rotation); env IOT_CA_INDEX, "
                 "default file");
}

nlohmann::ordered_json to_json(const pki::CertInfo& info) {
  return {{"kind", pki::kind_name(info.kind)},
          {"subject", info.subject},
          {"common_name", info.common_name},
          {"issuer", info.issuer},
          {"serial", info.serial},
          {"not_before", core::format_iso_utc(info.not_before)},
          {"not_after", core::format_iso_utc(info.not_after)},
          {"sans", info.sans},
          {"key", info.key},
          {"sha256", info.sha256}};
}

}  // namespace iotfleet::cert_tool

int main(int argc, char** argv) {
  using namespace iotfleet;
  CLI::App app{
      "iot-cert: the device CA, the broker's server certificate and device client certificates;\n"
      "verify, list (expiry report), revoke and CRLs. The CA lives in a directory (--ca or\n"
      "IOT_CA_DIR); its key is encrypted under IOT_CA_PASSPHRASE (or IOT_CA_PASSPHRASE_FILE, or\n"
      "--passphrase-file). Keys are written 0600, certificates 0644; nothing is overwritten.",
      "iot-cert"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "iot-cert 0.1.0");
  cert_tool::Context ctx;
  cert_tool::add_ca_commands(app, ctx);
  cert_tool::add_issue_commands(app, ctx);
  cert_tool::add_report_commands(app, ctx);
  return cli::run(app, argc, argv);
}
