#include "fleet/identities.hpp"

#include "core/clock.hpp"
#include "fleet/devices.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"

namespace iotfleet::fleet {

namespace {

void revoke_certificates(pki::Authority* ca, DeleteReport& report) {
  auto done = ca ? ca->revoke(report.key, "cessationOfOperation", core::system_clock().now())
                 : core::Result<std::vector<pki::IndexEntry>>(core::Error::usage("no --ca given"));
  if (done) {
    for (const auto& e : *done) report.certificates_revoked.push_back(e.serial);
  } else if (done.error().kind != core::ErrorKind::conflict) {  // conflict: already revoked
    report.revocation_warning = "device '" + report.key +
                                "' was deleted, but its certificate was not revoked (" +
                                done.error().message + "): run 'iot-cert revoke " + report.key +
                                " --ca DIR' and publish the CRL ('iot-cert crl')";
  }
}

}  // namespace

core::Result<DeleteReport> delete_device(Session& s, const std::string& key,
                                         const ProviderFor& providers, pki::Authority* ca) {
  idp::IdentityProvider* provider = nullptr;
  auto deleted = store::in_transaction(s.db, "delete device '" + key + "'", [&](pqxx::work& tx) {
    const auto device = require_device(tx, key, true);
    // Make the provider before deleting, so missing Keycloak settings change nothing. A local
    // credential goes with the row.
    if (device.identity_kind == "keycloak") provider = &providers(device.identity_kind);
    store::DeviceRepository(tx).remove(device.id);
    store::record(tx, {s.actor,
                       "device.delete",
                       "device",
                       key,
                       {{"model", device.model_code}, {"client_id", device.client_id}}});
    return DeleteReport{device.key, device.client_id, device.identity_kind, false, std::nullopt, {}, std::nullopt};
  });
  if (deleted && deleted->identity == "cert") revoke_certificates(ca, *deleted);
  if (!deleted || !provider) return deleted;
  DeleteReport report = std::move(*deleted);
  auto removed = provider->remove(report.client_id);
  if (removed) {
    report.identity_removed = *removed;
  } else {
    report.warning = "device '" + key + "' was deleted, but its Keycloak client '" +
                     report.client_id + "' could not be removed: " + removed.error().message +
                     "; delete the client in Keycloak";
  }
  return report;
}

namespace {

struct Loaded {
  store::Device device;
  core::Result<std::string> secret;
};

Loaded load(Session& s, const std::string& key, const core::SecretBox& box) {
  auto device = store::in_transaction(s.db, "read device '" + key + "'", [&](pqxx::work& tx) {
                  return require_device(tx, key);
                }).take();
  if (device.identity_kind == "cert")
    throw core::Failure(core::Error::usage(
        "device '" + key + "' has a certificate identity: it has no secret to sync or check here",
        "its certificate: 'iot-cert list --ca DIR', 'iot-cert verify CERT --ca DIR'"));
  if (!device.secret_sealed)
    return {device,
            core::Error::failure("device '" + key + "' has no sealed secret in the database")};
  auto secret = box.open(*device.secret_sealed, idp::device_secret_context(key));
  if (!secret)
    return {device, core::Error::failure("device '" + key + "': " + secret.error().message,
                                         secret.error().hint)};
  return {device, std::move(*secret)};
}

}  // namespace

core::Result<SyncReport> sync_device(Session& s, const std::string& key, const core::SecretBox& box,
                                     const ProviderFor& providers) {
  return core::capture([&]() -> SyncReport {
    auto [device, secret] = load(s, key, box);
    if (device.rotation_state == "PENDING")
      throw core::Failure(core::Error::conflict(
          "device '" + key +
              "' is in the middle of a credential rotation: its provider may hold the new secret",
          "let iot-rotate complete or time out the rotation, then sync"));
    if (!secret) throw core::Failure(secret.error());
    auto& provider = providers(device.identity_kind);
    auto result = provider.create(identity_spec(device, *secret)).take();
    SyncReport report{device.key, device.client_id, device.identity_kind, result.outcome,
                      result.changes};
    if (result.outcome != idp::Outcome::unchanged) {
      core::check(store::in_transaction(
          s.db, "record the sync of device '" + key + "'", [&](pqxx::work& tx) {
            store::record(tx, {s.actor,
                               "device.sync",
                               "device",
                               key,
                               {{"identity", device.identity_kind},
                                {"outcome", idp::outcome_name(result.outcome)},
                                {"changes", result.changes}}});
          }));
    }
    return report;
  });
}

core::Result<IdentityReport> inspect_identity(Session& s, const std::string& key,
                                              const core::SecretBox& box,
                                              const ProviderFor& providers) {
  return core::capture([&]() -> IdentityReport {
    auto [device, secret] = load(s, key, box);
    auto& provider = providers(device.identity_kind);
    IdentityReport report{device.key, device.client_id, device.identity_kind, false, {}};
    // Without the toolkit's copy of the secret, the provider's can only be checked for presence.
    auto check = provider.inspect(identity_spec(device, secret ? *secret : std::string())).take();
    report.exists = check.exists;
    report.problems = std::move(check.problems);
    if (!secret) report.problems.insert(report.problems.begin(), secret.error().message);
    if (device.rotation_state == "PENDING" && !report.problems.empty())
      report.problems.emplace_back(
          "a rotation is in flight: the provider may rightly hold the new secret");
    return report;
  });
}

}  // namespace iotfleet::fleet
