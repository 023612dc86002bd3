// iot-cert ca init, iot-cert import-ca.
#include <iostream>

#include "cli/table.hpp"
#include "commands.hpp"
#include "core/clock.hpp"

namespace iotfleet::cert_tool {
namespace {

/// IOT_CA_IMPORT_PASSPHRASE: the passphrase of the key being imported (when it differs).
inline constexpr core::Setting kImportPassphrase{"", "IOT_CA_IMPORT_PASSPHRASE", ""};

void print_ca(const Context& ctx, const pki::Authority& ca, const std::string& verb) {
  const auto info = pki::describe(ca.certificate());
  if (ctx.json()) {
    auto j = to_json(info);
    j["certificate"] = ca.cert_path();
    j["key"] = ca.key_path();
    cli::print_json(j);
    return;
  }
  std::cout << verb << " CA '" << info.common_name << "' in " << ca.dir() << "\n";
  cli::print_fields(std::cout, {{"certificate", ca.cert_path()},
                                {"key", ca.key_path() + " (encrypted, 0600)"},
                                {"key type", info.key},
                                {"serial", info.serial},
                                {"valid until", core::format_iso_utc(info.not_after)},
                                {"sha256", info.sha256}});
}

void add_init(CLI::App& parent, Context& ctx) {
  static std::string out, cn = "IoT Device CA", key_type = "ec-p256";
  static int days = 3650;
  auto* cmd = parent.add_subcommand("init", "Create a device CA (refuses to overwrite one)");
  cmd->add_option("--out", out, "Directory for ca.crt, ca.key (encrypted) and index.jsonl")
      ->required();
  cmd->add_option("--cn", cn, "Common name of the CA")->capture_default_str();
  cmd->add_option("--key-type", key_type, "ec-p256, rsa-2048 or rsa-4096")->capture_default_str();
  cmd->add_option("--days", days, "Validity in days")->capture_default_str();
  add_passphrase_option(*cmd, ctx);
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(
      "The key is stored as PKCS#8 encrypted with AES-256-CBC under the passphrase (at least 8\n"
      "characters) from IOT_CA_PASSPHRASE, IOT_CA_PASSPHRASE_FILE or --passphrase-file.\n"
      "Exit status 4 when --out already holds a CA.");
  cmd->callback([&ctx] {
    pki::InitOptions options;
    options.common_name = cn;
    options.key_type = cli::expect(pki::parse_key_type(key_type));
    options.days = days;
    const std::string passphrase = ctx.passphrase();
    auto ca =
        cli::expect(pki::Authority::init(out, options, passphrase, core::system_clock().now()));
    print_ca(ctx, ca, "created");
  });
}

void add_import(CLI::App& app, Context& ctx) {
  static std::string out, cert, key;
  static std::optional<std::string> key_passphrase_file;
  auto* cmd = app.add_subcommand(
      "import-ca", "Take over an existing CA (such as OS2IoT's): its certificate and key");
  cmd->add_option("--cert", cert, "The CA certificate (PEM)")->required();
  cmd->add_option("--key", key, "The CA key (PEM, PKCS#8 or traditional, encrypted or not)")
      ->required();
  cmd->add_option("--out", out, "Directory to hold the imported CA")->required();
  cmd->add_option("--key-passphrase-file", key_passphrase_file,
                  "File holding the passphrase of --key (default: IOT_CA_IMPORT_PASSPHRASE, "
                  "else the CA passphrase)");
  add_passphrase_option(*cmd, ctx);
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(
      "The key is stored re-encrypted (PKCS#8, AES-256-CBC) under the CA passphrase from\n"
      "IOT_CA_PASSPHRASE, IOT_CA_PASSPHRASE_FILE or --passphrase-file. Exit status 4 when --out\n"
      "already holds a CA.");
  cmd->callback([&ctx] {
    const std::string passphrase = ctx.passphrase();
    std::optional<std::string> source;
    if (key_passphrase_file) {
      core::Config none([](const std::string&) { return std::nullopt; });
      source = cli::expect(pki::load_passphrase(none, key_passphrase_file));
    } else {
      source = ctx.config.get(kImportPassphrase);
      if (!source) source = passphrase;
    }
    auto ca = cli::expect(pki::Authority::import(out, cert, key, source, passphrase));
    print_ca(ctx, ca, "imported");
  });
}

}  // namespace

void add_ca_commands(CLI::App& app, Context& ctx) {
  auto* ca = app.add_subcommand("ca", "The device CA");
  ca->require_subcommand(1);
  add_init(*ca, ctx);
  add_import(app, ctx);
}

}  // namespace iotfleet::cert_tool
