#include "rotation/manual.hpp"

#include "core/clock.hpp"
#include "rotation/state_machine.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/rotation.hpp"

namespace iotfleet::rotation {
namespace {

store::RotationRow locked(store::RotationRepository& repo, const std::string& key) {
  auto row = repo.lock(key);
  if (!row) throw core::Failure(core::Error::not_found("device " + key + " not found",
                                                       "list devices with: iot-provision device list"));
  return *row;
}

}  // namespace

core::Result<std::int64_t> trigger_fleet(pqxx::connection& db, const std::string& actor, TimePoint now,
                                         bool with_certificates) {
  return store::in_transaction(db, "queue the fleet for rotation", [&](pqxx::work& tx) {
    const auto n = store::RotationRepository(tx).queue_fleet(core::format_iso_utc(now, true),
                                                                      with_certificates);
    store::record(tx, {actor, "rotation.trigger", "fleet", "devices", {{"queued", n}}});
    return n;
  });
}

core::Status trigger_device(pqxx::connection& db, const std::string& key, const std::string& actor,
                            TimePoint now, bool with_certificates) {
  return store::in_transaction(db, "queue device " + key + " for rotation", [&](pqxx::work& tx) {
    store::RotationRepository repo(tx);
    const auto row = locked(repo, key);
    if (row.identity_kind == "cert" && !with_certificates)
      throw core::Failure(core::Error::conflict(
          "device " + key + ": rotating a certificate needs the device CA",
          "set IOT_CA_DIR, IOT_CA_PASSPHRASE and IOT_CA_INDEX=database"));
    const auto d = decide(parse_state(row.state).value_or(State::ok), Event::trigger);
    if (!d.allowed) throw core::Failure(core::Error::conflict("device " + key + ": " + d.reason));
    repo.set_queued(row.id, core::format_iso_utc(now, true), d.actions.reset_failures);
    store::record(tx, {actor, "rotation.trigger", "device", key, {{"from", row.state}}});
  });
}

core::Status cancel_device(pqxx::connection& db, const std::string& key, const std::string& actor) {
  return store::in_transaction(db, "cancel the rotation of device " + key, [&](pqxx::work& tx) {
    store::RotationRepository repo(tx);
    const auto row = locked(repo, key);
    const auto d = decide(parse_state(row.state).value_or(State::ok), Event::cancel);
    if (!d.allowed) throw core::Failure(core::Error::conflict("device " + key + ": " + d.reason));
    repo.set_ok(row.id, d.actions.reset_failures);
    store::record(tx, {actor, "rotation.cancel", "device", key, {{"from", row.state}}});
  });
}

}  // namespace iotfleet::rotation
