// iot-seal: kubeseal-compatible sealing (flags, not subcommands, select the mode, as in kubeseal)
// and secrets plans ('iot-seal plan apply|check'). The work is in lib/seal.
#include <iostream>

#include "cli/app.hpp"
#include "commands.hpp"
#include "core/files.hpp"
#include "idp/http.hpp"
#include "seal/stream.hpp"

namespace iotfleet::seal_tool {

std::string described(const std::string& text, const core::Setting& s) {
  std::string out = text + " (env " + std::string(s.env);
  if (!s.fallback.empty()) out += ", default " + std::string(s.fallback);
  return out + ")";
}

seal::SealingCertificate load_cert(const std::string& file_or_url, const std::string& ca_file) {
  idp::HttpOptions options;
  options.ca_file = ca_file;
  idp::CurlHttpClient http(options);
  return cli::expect(seal::load_certificate(file_or_url, http));
}

namespace {

constexpr std::size_t kMaxInput = 64 << 20;

struct Flags {
  std::optional<std::string> cert, controller_url, scope, format, ca_file;
  std::string input = "-", output = "-", name, ns, from_file;
  std::vector<std::string> private_keys;
  bool raw = false, fetch_cert = false, recovery_unseal = false, validate = false,
       allow_empty = false;
};

void write_output(const Flags& f, const std::string& text, bool secret) {
  const auto mode =
      secret ? std::filesystem::perms::owner_read | std::filesystem::perms::owner_write
             : std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                   std::filesystem::perms::group_read | std::filesystem::perms::others_read;
  cli::expect(core::write_file(f.output, text, mode));
}

std::vector<seal::RsaKey> private_keys(const Flags& f, const char* mode) {
  if (f.private_keys.empty())
    throw core::Failure(
        core::Error::usage(std::string(mode) + " needs --recovery-private-key FILE"));
  return cli::expect(seal::load_private_keys(f.private_keys));
}

void run(const Flags& f) {
  const core::Config config;
  const auto format = cli::expect(seal::parse_format(*config.get(kFormat, f.format)));
  const auto scope_text = config.get(kScope, f.scope);
  const auto scope = cli::expect(seal::parse_scope(*scope_text));
  const std::string ca_file = config.get(kCaFile, f.ca_file).value_or("");

  if (f.fetch_cert) {
    std::string url;
    if (auto controller = config.get(kControllerUrl, f.controller_url))
      url = seal::controller_cert_url(*controller);
    else if (auto cert = config.get(kCert, f.cert))
      url = *cert;
    else
      throw core::Failure(core::Error::usage(
          "--fetch-cert needs --controller-url URL (or set SEALED_SECRETS_CONTROLLER_URL)"));
    idp::HttpOptions options;
    options.ca_file = ca_file;
    idp::CurlHttpClient http(options);
    const std::string pem = cli::expect(seal::read_certificate_text(url, http));
    cli::expect(seal::parse_certificate(pem, url));  // refuse an expired or non-RSA certificate now
    write_output(f, pem, false);
    return;
  }
  if (f.recovery_unseal || f.validate) {
    const auto keys = private_keys(f, f.validate ? "--validate" : "--recovery-unseal");
    const std::string input = cli::expect(core::read_file(f.input, kMaxInput));
    const std::string source = f.input == "-" ? "<stdin>" : f.input;
    if (f.recovery_unseal) {
      write_output(f, cli::expect(seal::unseal_stream(input, source, keys, format)), true);
      return;
    }
    for (const auto& v : cli::expect(seal::validate_stream(input, source, keys)))
      std::cout << "ok " << (v.ns.empty() ? "" : v.ns + "/") << v.name << " (" << v.values
                << " values)\n";
    return;
  }
  const std::string cert_source = cli::expect(config.require(kCert, f.cert));
  const auto cert = load_cert(cert_source, ca_file);
  if (f.raw) {
    const std::string value =
        cli::expect(core::read_file(f.from_file.empty() ? "-" : f.from_file, kMaxInput));
    write_output(f,
                 cli::expect(seal::seal_raw(core::as_bytes(value), cert.key, scope, f.ns, f.name)),
                 false);
    return;
  }
  seal::SealOptions options;
  options.scope = scope;
  options.name = f.name;
  options.ns = f.ns;
  options.allow_empty_data = f.allow_empty;
  const std::string input = cli::expect(core::read_file(f.input, kMaxInput));
  const std::string source = f.input == "-" ? "<stdin>" : f.input;
  write_output(f, cli::expect(seal::seal_stream(input, source, cert.key, options, format)), false);
}

}  // namespace
}  // namespace iotfleet::seal_tool

int main(int argc, char** argv) {
  using namespace iotfleet;
  using seal_tool::described;
  CLI::App app{
      "iot-seal: seal Kubernetes Secrets for the sealed-secrets controller, as kubeseal does\n"
      "(same flags and output), and seal every Secret of an install from one plan.\n"
      "\n"
      "  iot-seal --cert CERT [--scope S] [-o yaml] < secret.yaml > sealed.yaml\n"
      "  iot-seal --raw --cert CERT --namespace N --name M [--from-file F]\n"
      "  iot-seal --fetch-cert --controller-url URL > cert.pem\n"
      "  iot-seal --recovery-unseal --recovery-private-key KEY < sealed.yaml\n"
      "  iot-seal --validate --recovery-private-key KEY < sealed.yaml\n"
      "  iot-seal plan apply PLAN.yaml      (see 'iot-seal plan --help')",
      "iot-seal"};
  app.set_version_flag("--version", "iot-seal 0.1.0");
  app.require_subcommand(0, 1);
  seal_tool::Flags f;
  app.add_option(
      "--cert", f.cert,
      described("Controller certificate: a PEM file or an http(s):// URL", seal_tool::kCert));
  app.add_option(
         "--scope", f.scope,
         described("Sealing scope: strict, namespace-wide or cluster-wide", seal_tool::kScope))
      ->check(CLI::IsMember({"strict", "namespace-wide", "cluster-wide"}));
  app.add_option("-o,--format", f.format,
                 described("Output format: json or yaml", seal_tool::kFormat))
      ->check(CLI::IsMember({"json", "yaml"}));
  app.add_option(
      "-f,--secret-file", f.input,
      "Secret(s) to seal, or SealedSecret(s) to unseal/validate; '-' is stdin (default)");
  app.add_option("-w,--sealed-secret-file", f.output,
                 "Where to write the result; '-' is stdout (default)");
  app.add_option(
      "--ca-file", f.ca_file,
      described("CA bundle for an https:// certificate or controller URL", seal_tool::kCaFile));
  auto* raw = app.add_flag("--raw", f.raw,
                           "Seal one raw value (from --from-file or stdin) and print its base64");
  app.add_option("-n,--namespace", f.ns, "Namespace of the Secret (overrides metadata.namespace)");
  app.add_option("--name", f.name, "Name of the Secret (overrides metadata.name)");
  auto* from_file =
      app.add_option("--from-file", f.from_file, "With --raw: the file holding the value");
  app.add_flag("--allow-empty-data", f.allow_empty, "Seal a Secret without data");
  auto* fetch = app.add_flag("--fetch-cert", f.fetch_cert,
                             "Print the controller's certificate (from --controller-url)");
  app.add_option("--controller-url", f.controller_url,
                 described("The controller's base URL; its certificate is at /v1/cert.pem",
                           seal_tool::kControllerUrl));
  auto* unseal = app.add_flag("--recovery-unseal", f.recovery_unseal,
                              "Decrypt SealedSecrets offline with the controller's private key(s)");
  auto* validate = app.add_flag("--validate", f.validate,
                                "Check offline that every value decrypts with the private key(s)");
  app.add_option("--recovery-private-key", f.private_keys,
                 "Controller private key (PEM, or its Secret); repeatable")
      ->delimiter(',');
  from_file->needs(raw);
  for (CLI::Option* a : {raw, fetch, unseal, validate})
    for (CLI::Option* b : {raw, fetch, unseal, validate})
      if (a != b) a->excludes(b);
  CLI::App* plan = app.add_subcommand("plan", "Seal every Secret of an install from a plan file");
  seal_tool::add_plan_commands(*plan);
  app.callback([&] {
    if (plan->parsed()) return;
    seal_tool::run(f);
  });
  return cli::run(app, argc, argv);
}
