// iot-cert ca init, import-ca, adopt, index import.
#include <iostream>

#include "cli/table.hpp"
#include "commands.hpp"
#include "fleet/device_ca.hpp"
#include "store/database.hpp"
#include "core/clock.hpp"
#include "core/files.hpp"

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

// After import-ca: the certificates the old CA issued, so that list, revoke and crl know them.
void add_adopt(CLI::App& app, Context& ctx) {
  static std::vector<std::string> files;
  auto* cmd = app.add_subcommand(
      "adopt", "Record certificates this CA issued elsewhere (say before import-ca) in its index");
  cmd->add_option("cert", files, "Certificates (PEM), one or more")->required();
  add_ca_option(*cmd, ctx);
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(
      "Each must be signed by the CA; one already in the index is skipped. Exit status 1 when a\n"
      "certificate is not the CA's (the others are still recorded).");
  cmd->callback([&ctx] {
    auto ca = ctx.open_ca();
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    std::optional<core::Error> refused;
    for (const auto& file : files) {
      const auto pem = cli::expect(core::read_file(file, 1 << 20));
      const auto cert = cli::expect(pki::Certificate::from_pem(pem, file));
      auto entry = ca.adopt(cert);
      std::string outcome = "adopted";
      if (!entry && entry.error().kind == core::ErrorKind::conflict) {
        outcome = "already known";
      } else if (!entry) {
        outcome = "refused: " + entry.error().message;
        refused = core::Error::failure(file + ": " + entry.error().message);
      }
      const auto info = pki::describe(cert);
      rows.push_back({{"file", file}, {"serial", info.serial}, {"common_name", info.common_name},
                      {"outcome", outcome}});
      if (!ctx.json()) std::cout << file << ": " << info.serial << " ('" << info.common_name << "') " << outcome << "\n";
    }
    if (ctx.json()) cli::print_json(rows);
    if (refused) throw core::Failure(*refused);
  });
}

void add_index_import(CLI::App& app, Context& ctx) {
  auto* index = app.add_subcommand("index", "The CA's index of issued certificates");
  index->require_subcommand(1);
  auto* cmd = index->add_subcommand(
      "import", "Copy the CA's index.jsonl and crlnumber into the database (IOT_CA_INDEX=database)");
  cmd->add_option("--ca", ctx.ca_dir, "The CA directory (env IOT_CA_DIR)");
  cli::add_output_option(*cmd, ctx.output);
  cmd->footer(
      "Connects with DATABASE_URL. Safe to run again: what the database already has is left as\n"
      "it is. Afterwards give IOT_CA_INDEX=database (or --ca-index database) to every tool.");
  cmd->callback([&ctx] {
    const auto dir = cli::expect(ctx.config.require(kCaDir, ctx.ca_dir));
    auto db = cli::expect(store::open_database(ctx.config));
    const auto r = cli::expect(fleet::import_file_index(*db, dir));
    if (ctx.json())
      return cli::print_json({{"added", r.added}, {"revoked", r.revoked},
                              {"unchanged", r.unchanged}, {"crl_number", r.crl_number}});
    std::cout << "imported the index of " << dir << ": " << r.added << " added, " << r.revoked
              << " revocation(s), " << r.unchanged << " unchanged; CRL number " << r.crl_number
              << "\n";
  });
}

}  // namespace

void add_ca_commands(CLI::App& app, Context& ctx) {
  add_adopt(app, ctx);
  auto* ca = app.add_subcommand("ca", "The device CA");
  ca->require_subcommand(1);
  add_init(*ca, ctx);
  add_import(app, ctx);
  add_index_import(app, ctx);
}

}  // namespace iotfleet::cert_tool
