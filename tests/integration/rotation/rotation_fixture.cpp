#include "rotation_fixture.hpp"

#include <chrono>

#include "fleet/models.hpp"
#include "idp/provider.hpp"
#include "rotation/manual.hpp"

namespace iotfleet::test_support {
namespace {

const char* kPepper = "cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg==";

std::int64_t wall_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

core::Status RecordingNotifier::announce(const std::string& client_id, const std::string&,
                                         const std::string&) {
  if (broker_down) return core::Error::unavailable("MQTT broker mqtt://127.0.0.1:1 is down");
  retained.insert(client_id);
  ++announced;
  return core::ok_status();
}

core::Status RecordingNotifier::clear(const std::string& client_id) {
  retained.erase(client_id);
  return core::ok_status();
}

RotationTest::RotationTest()
    : keyring(core::SecretBox::generate_keyring_entry("k1")),
      pepper_text(kPepper),
      box(core::SecretBox::from_keyring(keyring).take()),
      pepper(idp::Pepper::parse(kPepper).take()),
      session{db.conn(), "test"},
      clock(wall_seconds()),
      installer(box, &pepper,
                []() -> idp::IdentityProvider& {
                  throw core::Failure(core::Error::usage("no Keycloak in this test"));
                }),
      settings{cron::RotationSchedule{cron::Schedule::parse("0 8 * * 6#1").take(),
                                      cron::TimeZone::utc()}} {
  fleet::create_model(session, "m", "Model", std::nullopt).take();
}

std::vector<std::string> RotationTest::create_devices(std::size_t count) {
  fleet::DeviceSpec spec;
  spec.model_code = "m";
  spec.count = count;
  std::vector<std::string> keys;
  for (const auto& d : fleet::create_devices(session, spec, fleet::LocalSecrets{box, pepper}).take())
    keys.push_back(d.key);
  return keys;
}

std::string RotationTest::current_secret(const std::string& key) {
  return box.open(column(key, "secret_sealed"), idp::device_secret_context(key)).take();
}

bool RotationTest::accepted(const std::string& key, const std::string& secret) {
  const auto hmac = core::hex_decode(column(key, "encode(secret_hmac, 'hex')"));
  return hmac && idp::verify_local_secret(pepper, key, secret, *hmac);
}

std::string RotationTest::state(const std::string& key) { return column(key, "rotation_state"); }

std::string RotationTest::column(const std::string& key, const std::string& column) {
  return db.scalar("SELECT " + column + " FROM devices WHERE key = '" + key + "'");
}

rotation::CycleSummary RotationTest::run(const rotation::FaultPoint& fault) {
  rotation::CycleContext ctx{db.conn(), installer, notifier, box, clock, "test", fault};
  auto summary = rotation::run_cycle(ctx, settings);
  if (!summary) ADD_FAILURE() << summary.error().message;
  return summary ? summary.value() : rotation::CycleSummary{};
}

core::Result<rotation::IssuedCredential> RotationTest::provisioning(const std::string& key,
                                                                    const rotation::FaultPoint& fault) {
  return rotation::issue_pending(db.conn(), installer, box, key, clock.now(), fault);
}

core::Result<bool> RotationTest::complete_basic(const std::string& key, const std::string& secret) {
  rotation::Proof proof;
  proof.method = rotation::Proof::Method::basic;
  proof.presented_secret = secret;
  return rotation::complete_if_proven(db.conn(), installer, box, key, proof, clock.now());
}

void RotationTest::trigger(const std::string& key) {
  ASSERT_TRUE(rotation::trigger_device(db.conn(), key, "test", clock.now()));
}

}  // namespace iotfleet::test_support
