// iot-seal plan apply|check: seal every Secret of an install from one plan (lib/seal/plan.hpp).
#include <iostream>

#include "cli/app.hpp"
#include "commands.hpp"
#include "seal/plan.hpp"

namespace iotfleet::seal_tool {
namespace {

struct PlanFlags {
  std::string plan;
  std::optional<std::string> cert, state, ca_file;
  bool dry_run = false;
};

void print(const seal::PlanReport& report, bool dry_run) {
  std::size_t changed = 0;
  for (const auto& o : report.outputs) {
    if (o.change != seal::Change::unchanged) ++changed;
    std::cout << seal::change_name(o.change, dry_run) << "  " << o.path << "  (" << o.ns << "/"
              << o.name << ")\n";
  }
  for (const auto& id : report.generated)
    std::cout << (dry_run ? "would generate  " : "generated  ") << id << "\n";
  std::cout << report.outputs.size() << " sealed files: " << changed
            << (dry_run ? " to write, " : " written, ") << report.outputs.size() - changed
            << " unchanged; " << report.generated.size()
            << (dry_run ? " values to generate" : " values generated");
  if (!report.generated.empty() && !dry_run)
    std::cout << " (kept in " << report.state_file.string() << ")";
  std::cout << "\n";
}

seal::PlanReport apply(const PlanFlags& f, bool dry_run) {
  const core::Config config;
  const seal::Plan plan = cli::expect(seal::load_plan(f.plan));
  auto cert_source = config.get(kCert, f.cert);
  if (!cert_source && !plan.cert.empty())
    cert_source = std::filesystem::path(plan.cert).is_absolute() || seal::is_url(plan.cert)
                      ? plan.cert
                      : (plan.dir / plan.cert).string();
  if (!cert_source)
    throw core::Failure(core::Error::usage(
        "no controller certificate: give --cert, set SEALED_SECRETS_CERT, or add cert: to " +
        f.plan));
  const auto cert = load_cert(*cert_source, config.get(kCaFile, f.ca_file).value_or(""));
  seal::PlanOptions options;
  options.dry_run = dry_run;
  if (auto dir = config.get(kStateDir, f.state)) options.state_dir = *dir;
  return cli::expect(seal::apply_plan(plan, cert, options));
}

void add_common(CLI::App& cmd, PlanFlags& f) {
  cmd.add_option("plan", f.plan, "The plan file (YAML)")->required()->check(CLI::ExistingFile);
  cmd.add_option("--cert", f.cert,
                 described("Controller certificate (file or URL); else the plan's cert:", kCert));
  cmd.add_option("--state", f.state,
                 described("Folder of the state file that keeps generated values (default: "
                           ".iot-seal beside the plan)",
                           kStateDir));
  cmd.add_option("--ca-file", f.ca_file,
                 described("CA bundle for an https:// certificate URL", kCaFile));
}

}  // namespace

void add_plan_commands(CLI::App& plan) {
  static PlanFlags apply_flags, check_flags;
  plan.require_subcommand(1);
  plan.footer(
      "A plan lists every Secret of an install: its namespaces (one value sealed into each) and,\n"
      "per key, a literal, generate: {length, alphabet} or hex32, from-file, from-env or same-as.\n"
      "Generated values are kept in a state file (0600; keep it out of Git and back it up), so\n"
      "re-running changes nothing. Values that look like placeholders (YOUR_..., <...>,\n"
      "changeme, hunter2) stop the run. Example: k8s/secrets/os2iot-plan.yaml.");
  CLI::App* apply_cmd = plan.add_subcommand(
      "apply", "Generate what is missing and write the sealed files that changed");
  add_common(*apply_cmd, apply_flags);
  apply_cmd->add_flag("--dry-run", apply_flags.dry_run, "Report what would change; write nothing");
  apply_cmd->callback([] { print(apply(apply_flags, apply_flags.dry_run), apply_flags.dry_run); });

  CLI::App* check_cmd =
      plan.add_subcommand("check", "Report what 'apply' would change; exit 1 when anything would");
  add_common(*check_cmd, check_flags);
  check_cmd->callback([] {
    const auto report = apply(check_flags, true);
    print(report, true);
    if (report.changes())
      throw core::Failure(
          core::Error::failure(check_flags.plan + ": the sealed files are not up to date",
                               "run 'iot-seal plan apply " + check_flags.plan + "'"));
  });
}

}  // namespace iotfleet::seal_tool
