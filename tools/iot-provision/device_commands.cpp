// iot-provision device create|list|show|set-config|activate|deactivate|delete|sync|identity
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "cli/table.hpp"
#include "context.hpp"
#include "fleet/device_ca.hpp"
#include "fleet/views.hpp"

namespace iotfleet::provision_tool {
namespace {

struct DeviceArgs {
  std::string key;
  std::string model;
  std::optional<std::string> model_filter;
  std::optional<std::string> config_file;
  std::optional<std::string> name;
  std::size_t count = 1;
  std::string identity = "local";
  std::optional<std::string> state;
  bool inactive = false;
  // --identity cert
  std::optional<std::string> ca_dir, ca_index, passphrase_file, out_dir;
  int cert_days = 365;
  PackageOptions package;
};
DeviceArgs args;

void print_device(Context& ctx, const store::Device& d) {
  if (ctx.json()) cli::print_json(fleet::to_json(d));
  else cli::print_fields(std::cout, fleet::device_fields(d));
}

// The Keycloak settings as flags, in their own help section; secrets stay in the environment.
void add_keycloak_options(CLI::App& cmd, Context& ctx) {
  auto* g = cmd.add_option_group(
      "Keycloak", "For devices with a Keycloak identity. The admin client's secret comes from "
                  "KEYCLOAK_ADMIN_CLIENT_SECRET (or KEYCLOAK_ADMIN_CLIENT_SECRET_FILE), never a flag");
  auto& f = ctx.keycloak_flags;
  g->add_option("--keycloak-url", f.url, "Keycloak base URL (env KEYCLOAK_BASE_URL)");
  g->add_option("--keycloak-base-path", f.base_path, "Path prefix of Keycloak before 17, e.g. /auth (env KEYCLOAK_BASE_PATH)");
  g->add_option("--keycloak-realm", f.realm, "Realm of the device clients (env KEYCLOAK_REALM)");
  g->add_option("--keycloak-admin-client-id", f.admin_client_id,
                "Admin client with the realm-management role manage-clients (env KEYCLOAK_ADMIN_CLIENT_ID)");
  g->add_option("--keycloak-ca-file", f.ca_file, "CA certificate (PEM) of a private CA (env KEYCLOAK_CA_FILE)");
  g->add_option("--keycloak-device-scope", f.device_scope,
                "Client scope with the audience mapper, attached to every device client "
                "(env KEYCLOAK_DEVICE_SCOPE, default iot-device-audience)");
  g->add_option("--keycloak-timeout", f.timeout, "Seconds per Keycloak request (env KEYCLOAK_TIMEOUT_SECONDS, default 10)");
  g->add_option("--keycloak-concurrency", f.concurrency,
                "Keycloak requests in flight during bulk creation (env KEYCLOAK_CONCURRENCY, default 8)");
}

void add_create(CLI::App& device, Context& ctx) {
  auto* create = device.add_subcommand("create", "Create devices of a model (all or nothing)");
  create->add_option("--model", args.model, "Model code")->required();
  create->add_option("--config", args.config_file, "Device config JSON file ('-' for standard input)");
  create->add_option("--name", args.name, "Device name (with --count N: <name>-1 ... <name>-N)");
  create->add_option("--count", args.count, "How many devices to create")
      ->check(CLI::Range(std::size_t{1}, fleet::kMaxDevicesPerCreate))
      ->default_str("1");
  create->add_option("--identity", args.identity,
                     "Credential kind: local (toolkit-managed secret), keycloak (a confidential client per "
                     "device, created before the device is committed) or cert (a client certificate from "
                     "--ca; key, certificate and CA go into the packages written to --out)")
      ->check(CLI::IsMember({"local", "keycloak", "cert"}))
      ->default_str("local");
  cli::add_output_option(*create, ctx.output);
  add_keycloak_options(*create, ctx);
  add_broker_identity_options(*create, ctx);
  auto* cert = create->add_option_group(
      "Certificate identity", "With --identity cert. The CA passphrase comes from IOT_CA_PASSPHRASE "
                              "(or IOT_CA_PASSPHRASE_FILE, or --passphrase-file), never a flag");
  cert->add_option("--ca", args.ca_dir, "The device CA directory (iot-cert ca init)");
  cert->add_option("--ca-index", args.ca_index,
                   "Where the CA's index lives: file or database (env IOT_CA_INDEX, default file)");
  cert->add_option("--passphrase-file", args.passphrase_file, "File holding the CA passphrase");
  cert->add_option("--cert-days", args.cert_days, "Certificate validity in days")
      ->check(CLI::Range(1, 3650))
      ->capture_default_str();
  cert->add_option("--out", args.out_dir,
                   "Directory for the packages, <key>.json|.nvs.bin|.h (0600): the only copy of each key");
  auto* package = create->add_option_group("Package", "How --identity cert writes its packages");
  add_package_options(*package, args.package);
  create->callback([&ctx] {
    fleet::DeviceSpec spec;
    spec.model_code = args.model;
    if (args.config_file) spec.config = read_json_file(*args.config_file, "--config");
    spec.name = args.name;
    spec.count = args.count;
    spec.identity = args.identity;
    // Everything a cert identity needs is checked before the first change.
    std::optional<PackageDefaults> packages;
    std::optional<pki::Authority> ca;
    if (spec.identity == "cert") {
      if (!args.ca_dir || !args.out_dir)
        throw core::Failure(core::Error::usage("--identity cert needs --ca DIR (the device CA) and --out DIR "
                                               "(where each device's package, holding its private key, is written)"));
      packages = load_package_defaults(ctx, args.package);
      ca = cli::expect(fleet::open_device_ca(ctx.config, *args.ca_dir, args.ca_index));
      cli::expect(ca->unlock(cli::expect(pki::load_passphrase(ctx.config, args.passphrase_file))));
      std::error_code ec;
      std::filesystem::create_directories(*args.out_dir, ec);
      if (ec || ::access(args.out_dir->c_str(), W_OK) != 0)
        throw core::Failure(core::Error::usage("--out " + *args.out_dir + " is not a writable directory"));
    } else if (args.out_dir || args.ca_dir) {
      throw core::Failure(core::Error::usage("--ca and --out are for --identity cert",
                                             "a secret identity's package comes from 'iot-provision package KEY'"));
    }
    auto& session = ctx.session();
    fleet::IdentitySources ids{ctx.secret_box()};
    if (ca) {
      ids.ca = &*ca;
      ids.certificate_days = args.cert_days;
    }
    if (spec.identity == "local") ids.pepper = &ctx.local_pepper();
    if (spec.identity == "keycloak") {
      ids.keycloak = &ctx.keycloak();
      cli::expect(ctx.keycloak().check());  // Keycloak down or misconfigured: fail before any change
    }
    cli::Progress progress("creating devices");
    const auto created = cli::expect(fleet::create_devices(
        session, spec, ids, [&](std::size_t done, std::size_t total) { progress.update(done, total); }));
    std::map<std::string, std::string> written;  // key → package file
    if (packages) {
      for (const auto& d : created) {
        provision::Package p = packages->base;
        p.device_key = d.key;
        p.client_id = d.client_id;
        p.client_key = d.certificate->key_pem;
        p.client_cert = d.certificate->certificate_pem;
        p.ca_cert = ca->certificate().to_pem();
        const auto path = (std::filesystem::path(*args.out_dir) / package_file_name(d.key, packages->format)).string();
        write_package(p, *packages, path);
        written[d.key] = path;
      }
    }
    std::vector<fleet::BrokerDevice> changed;
    for (const auto& d : created) changed.push_back({d.key, d.client_id});
    ctx.keep_broker_in_step(changed);
    if (ctx.json()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& d : created) {
        nlohmann::ordered_json j = {{"key", d.key}, {"client_id", d.client_id}, {"model", d.model}};
        if (d.certificate)
          j.update({{"certificate_serial", d.certificate->serial},
                    {"certificate_not_after", d.certificate->not_after},
                    {"package", written[d.key]}});
        out.push_back(j);
      }
      cli::print_json(out);
      return;
    }
    if (packages) {
      cli::Table table({"KEY", "CLIENT ID", "MODEL", "SERIAL", "PACKAGE"});
      for (const auto& d : created) table.add({d.key, d.client_id, d.model, d.certificate->serial, written[d.key]});
      table.print(std::cout);
      return;
    }
    cli::Table table({"KEY", "CLIENT ID", "MODEL"});
    for (const auto& d : created) table.add({d.key, d.client_id, d.model});
    table.print(std::cout);
  });
}

void add_identity_commands(CLI::App& device, Context& ctx) {
  auto* sync = device.add_subcommand(
      "sync", "Re-create or repair a device's identity (Keycloak client settings, secret, scope) from its row");
  sync->add_option("key", args.key, "Device key")->required();
  cli::add_output_option(*sync, ctx.output);
  add_keycloak_options(*sync, ctx);
  sync->callback([&ctx] {
    const auto r = cli::expect(fleet::sync_device(ctx.session(), args.key, ctx.secret_box(), ctx.providers()));
    if (ctx.json()) {
      cli::print_json({{"key", r.key}, {"client_id", r.client_id}, {"identity", r.identity},
                       {"outcome", idp::outcome_name(r.outcome)}, {"changes", r.changes}});
      return;
    }
    std::cout << "device " << r.key << ": " << r.identity << " identity " << r.client_id << " "
              << idp::outcome_name(r.outcome);
    for (std::size_t i = 0; i < r.changes.size(); ++i) std::cout << (i ? ", " : " (") << r.changes[i];
    std::cout << (r.changes.empty() ? "" : ")") << "\n";
  });

  auto* identity = device.add_subcommand(
      "identity", "Check that a device's identity exists and matches its row (exit 3 if missing, 1 if inconsistent)");
  identity->add_option("key", args.key, "Device key")->required();
  cli::add_output_option(*identity, ctx.output);
  add_keycloak_options(*identity, ctx);
  identity->callback([&ctx] {
    const auto r = cli::expect(fleet::inspect_identity(ctx.session(), args.key, ctx.secret_box(), ctx.providers()));
    if (ctx.json()) {
      cli::print_json({{"key", r.key}, {"client_id", r.client_id}, {"identity", r.identity}, {"exists", r.exists},
                       {"consistent", r.consistent()}, {"problems", r.problems}});
    } else {
      std::vector<std::pair<std::string, std::string>> fields{
          {"key", r.key}, {"client id", r.client_id}, {"identity", r.identity},
          {"exists", r.exists ? "yes" : "no"}, {"consistent", r.consistent() ? "yes" : "no"}};
      for (const auto& p : r.problems) fields.emplace_back("problem", p);
      cli::print_fields(std::cout, fields);
    }
    const std::string hint = "run 'iot-provision device sync " + r.key + "'";
    if (!r.exists)
      throw core::Failure(core::Error::not_found("the " + r.identity + " identity '" + r.client_id + "' of device '" +
                                                 r.key + "' does not exist", hint));
    if (!r.consistent())
      throw core::Failure(core::Error::failure("the " + r.identity + " identity of device '" + r.key +
                                               "' does not match its row", hint));
  });
}

}  // namespace

void add_device_commands(CLI::App& app, Context& ctx) {
  auto* device = app.add_subcommand(
      "device", "Devices: create, list, show, set-config, activate, deactivate, delete, sync, identity");
  device->require_subcommand(1);
  add_create(*device, ctx);

  auto* list = device->add_subcommand("list", "List devices (active and inactive)");
  list->add_option("--model", args.model_filter, "Only devices of this model");
  list->add_option("--state", args.state, "Only devices in this rotation state: OK, QUEUED, PENDING, TIMEOUT");
  list->add_flag("--inactive", args.inactive, "Only deactivated devices");
  cli::add_output_option(*list, ctx.output);
  list->callback([&ctx] {
    const auto devices = cli::expect(fleet::list_devices(ctx.session(), args.model_filter, args.state, args.inactive));
    if (ctx.json()) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (const auto& d : devices) out.push_back(fleet::to_json(d));
      cli::print_json(out);
      return;
    }
    cli::Table table(fleet::device_table_headers());
    for (const auto& d : devices) table.add(fleet::device_table_row(d));
    table.print(std::cout);
  });

  auto* show = device->add_subcommand("show", "Show one device");
  show->add_option("key", args.key, "Device key")->required();
  cli::add_output_option(*show, ctx.output);
  show->callback([&ctx] { print_device(ctx, cli::expect(fleet::show_device(ctx.session(), args.key))); });

  auto* set_config = device->add_subcommand("set-config", "Replace a device's config (checked against its model's schema)");
  set_config->add_option("key", args.key, "Device key")->required();
  set_config->add_option("--config", args.config_file, "Config JSON file ('-' for standard input)")->required();
  cli::add_output_option(*set_config, ctx.output);
  set_config->callback([&ctx] {
    const auto config = read_json_file(*args.config_file, "--config");
    print_device(ctx, cli::expect(fleet::set_device_config(ctx.session(), args.key, config)));
  });

  for (const bool active : {true, false}) {
    auto* cmd = device->add_subcommand(active ? "activate" : "deactivate",
                                       active ? "Activate a device" : "Deactivate a device (fleet rotation skips it)");
    cmd->add_option("key", args.key, "Device key")->required();
    cli::add_output_option(*cmd, ctx.output);
    add_broker_identity_options(*cmd, ctx);
    cmd->callback([&ctx, active] {
      const auto d = cli::expect(fleet::set_device_active(ctx.session(), args.key, active));
      ctx.keep_broker_in_step({{d.key, d.client_id}});
      print_device(ctx, d);
    });
  }

  auto* remove = device->add_subcommand("delete", "Delete a device, then its Keycloak client (a leftover client is reported)");
  remove->add_option("key", args.key, "Device key")->required();
  cli::add_output_option(*remove, ctx.output);
  add_keycloak_options(*remove, ctx);
  add_broker_identity_options(*remove, ctx);
  remove->add_option("--ca", args.ca_dir,
                     "A certificate identity: revoke its certificates in this device CA (iot-cert)");
  remove->add_option("--ca-index", args.ca_index,
                     "Where the CA's index lives: file or database (env IOT_CA_INDEX, default file)");
  remove->callback([&ctx] {
    std::optional<pki::Authority> ca;
    if (args.ca_dir) ca = cli::expect(fleet::open_device_ca(ctx.config, *args.ca_dir, args.ca_index));
    const auto r = cli::expect(fleet::delete_device(ctx.session(), args.key, ctx.providers(), ca ? &*ca : nullptr));
    if (r.warning) std::cerr << "iot-provision: warning: " << *r.warning << "\n";
    if (r.revocation_warning) std::cerr << "iot-provision: warning: " << *r.revocation_warning << "\n";
    ctx.keep_broker_in_step({{r.key, r.client_id}});
    if (ctx.json()) {
      cli::print_json({{"deleted", r.key}, {"client_id", r.client_id}, {"identity", r.identity},
                       {"identity_removed", r.identity_removed}, {"certificates_revoked", r.certificates_revoked},
                       {"warning", r.warning ? nlohmann::ordered_json(*r.warning) : nlohmann::ordered_json(nullptr)}});
      return;
    }
    std::cout << "deleted device " << r.key;
    if (r.identity_removed) std::cout << " and its Keycloak client " << r.client_id;
    if (!r.certificates_revoked.empty()) std::cout << "; revoked " << r.certificates_revoked.size() << " certificate(s): publish the CRL ('iot-cert crl')";
    std::cout << "\n";
  });

  add_identity_commands(*device, ctx);
}

}  // namespace iotfleet::provision_tool
