#include "rotation/exchange.hpp"

#include "core/clock.hpp"
#include "core/encoding.hpp"
#include "idp/provider.hpp"
#include "rotation/state_machine.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/rotation.hpp"

namespace iotfleet::rotation {
namespace {

store::RotationRow lock_device(store::RotationRepository& repo, const std::string& key) {
  auto row = repo.lock(key);
  if (!row) throw core::Failure(core::Error::not_found("device " + key + " not found"));
  return *row;
}

State state_of(const store::RotationRow& row) {
  auto s = parse_state(row.state);
  if (!s) throw core::Failure(core::Error::failure("device " + row.key + ": unknown rotation state"));
  return *s;
}

void audit(pqxx::work& tx, const std::string& action, const store::RotationRow& row,
           nlohmann::json details = nlohmann::json::object()) {
  store::record(tx, {"device:" + row.key, action, "device", row.key, std::move(details)});
}

}  // namespace

core::Result<IssuedCredential> issue_pending(pqxx::connection& db, CredentialInstaller& installer,
                                             const core::SecretBox& box, const std::string& key,
                                             TimePoint now, const FaultPoint& fault) {
  const std::string now_iso = core::format_iso_utc(now, true);
  // Step 1: record that the credential is (about to be) installed, and commit, so that a crash
  // after the identity provider changed is always followed by a restore on time-out.
  auto recorded = store::in_transaction(db, "record the rotation of device " + key, [&](pqxx::work& tx) {
    store::RotationRepository repo(tx);
    const auto row = lock_device(repo, key);
    const auto decision = decide(state_of(row), Event::install);
    if (!decision.allowed)
      throw core::Failure(core::Error::conflict("device " + key + ": no rotation pending (" +
                                                decision.reason + ")"));
    const bool first = !row.installed_at.has_value();
    if (first) {
      repo.record_installed(row.id, now_iso);
      audit(tx, "rotation.install", row);
    }
    return std::make_pair(row.attempt_at.value_or(""), first);
  });
  if (!recorded) return recorded.error();
  if (fault) fault("installed_at_recorded");

  // Step 2: install under the row lock, unless the cycle timed the attempt out meanwhile.
  auto issued = store::in_transaction(db, "install the new credential of device " + key, [&](pqxx::work& tx) {
    store::RotationRepository repo(tx);
    const auto row = lock_device(repo, key);
    if (row.state != "PENDING" || row.attempt_at.value_or("") != recorded->first)
      throw core::Failure(core::Error::conflict("device " + key +
                                                ": the rotation ended while it was being installed"));
    if (!row.pending_secret)
      throw core::Failure(core::Error::failure("device " + key + ": the pending credential is missing"));
    auto secret = box.open(*row.pending_secret, idp::device_secret_context(key));
    if (!secret) throw core::Failure(secret.error());
    core::check(installer.install(tx, {row.key, row.client_id, row.identity_kind}, secret.value()));
    return IssuedCredential{row.key, row.client_id, row.identity_kind, std::move(secret.value()),
                            recorded->second};
  });
  if (issued && fault) fault("credential_installed");
  return issued;
}

core::Result<bool> complete_if_proven(pqxx::connection& db, CredentialInstaller& installer,
                                      const core::SecretBox& box,
                                      const std::string& key, const Proof& proof, TimePoint now,
                                      std::chrono::seconds allowed_skew) {
  return store::in_transaction(db, "complete the rotation of device " + key, [&](pqxx::work& tx) {
    store::RotationRepository repo(tx);
    const auto row = lock_device(repo, key);
    if (row.state != "PENDING") return false;
    Facts facts;
    facts.installed = row.installed_at.has_value();
    if (facts.installed) {
      if (proof.method == Proof::Method::bearer) {
        facts.proven = proof.token_issued_at >= row.installed_at_epoch - allowed_skew.count();
      } else if (proof.method == Proof::Method::certificate) {
        facts.proven = row.identity_kind == "cert" && row.certificate_serial &&
                       *row.certificate_serial == proof.certificate_serial;
      } else if (row.pending_secret) {
        auto pending = box.open(*row.pending_secret, idp::device_secret_context(key));
        if (!pending) throw core::Failure(pending.error());
        facts.proven = core::constant_time_equal(core::as_bytes(proof.presented_secret),
                                                 core::as_bytes(pending.value()));
      }
    }
    if (!decide(State::pending, Event::complete, facts).allowed) return false;
    core::check(installer.retire_previous(tx, {row.key, row.client_id, row.identity_kind}, now));
    repo.complete(row.id, core::format_iso_utc(now, true));
    audit(tx, "rotation.complete", row);
    return true;
  });
}

}  // namespace iotfleet::rotation
