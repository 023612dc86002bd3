// The device's side of a rotation (specs/rotation.md): triggers, the order of storage writes,
// lost answers, refusals and fallbacks, and a reboot at every point of the exchange.

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace device_core_test {
namespace {

std::optional<std::string> new_secret(const Rig& rig) {
  return rig.storage.get("state", "new_secret");
}
std::string prov_secret(const Rig& rig) {
  return rig.storage.get("prov", "client_secret").value_or("");
}

/// Starts a device and lets it settle on its first configuration.
void settle(Rig& rig) {
  rig.provision();
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().configs_fetched == 1; }));
}

class DeviceCoreRotation : public ::testing::TestWithParam<bool> {
};  // false: local, true: Keycloak

TEST_P(DeviceCoreRotation, StartsFromTheConfigHeaderAndCommitsAfterTheProof) {
  Rig rig(GetParam());
  rig.mqtt.reachable = false;
  settle(rig);
  rig.cloud.start_rotation();
  const std::string fresh = rig.cloud.pending;

  // The next poll carries X-Rotation: pending; the device asks for its new credential.
  ASSERT_TRUE(rig.run_until([&] { return rig.cloud.count("/iot/provisioning") == 1; }, 50));
  EXPECT_EQ(rig.device->stats().rotations_started, 1u);
  EXPECT_TRUE(rig.device->rotating());
  EXPECT_EQ(rig.device->current_secret(), fresh);
  // Stored beside the old one, which is untouched until the proof.
  EXPECT_EQ(new_secret(rig), fresh);
  EXPECT_EQ(prov_secret(rig), "old-secret");

  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().rotations_completed == 1; }, 10));
  EXPECT_EQ(rig.cloud.rotations_completed, 1);
  EXPECT_FALSE(rig.cloud.rotation_pending);
  EXPECT_FALSE(rig.device->rotating());
  EXPECT_EQ(prov_secret(rig), fresh);
  EXPECT_FALSE(new_secret(rig));
  EXPECT_EQ(rig.device->current_secret(), fresh);
  EXPECT_EQ(rig.device->stats().rotation_fallbacks, 0u);
  if (GetParam()) {
    // The proof is a token minted from the new secret.
    EXPECT_EQ(rig.device->stats().tokens_fetched, 2u);
  }
  // And it keeps working.
  rig.run_for(120'000);
  EXPECT_EQ(rig.device->stats().errors[static_cast<int>(ErrorKind::unauthorized)], 0u);
  EXPECT_GE(rig.device->stats().configs_unchanged, 2u);
}

TEST_P(DeviceCoreRotation, AnMqttNoticeStartsItAtOnceAndMqttReconnectsWithTheNewSecret) {
  Rig rig(GetParam());
  settle(rig);
  ASSERT_TRUE(rig.run_until([&] { return rig.mqtt.connected(); }));
  const auto polls = rig.cloud.count("/iot/config");
  rig.cloud.start_rotation();
  const std::string fresh = rig.cloud.pending;
  rig.run_for(2'000);  // well before the next poll is due
  EXPECT_EQ(rig.device->stats().notices_received, 1u);
  EXPECT_EQ(rig.cloud.count("/iot/provisioning"), 1);
  EXPECT_EQ(rig.device->stats().rotations_completed, 1u);
  EXPECT_EQ(rig.cloud.count("/iot/config"), polls + 1);  // the proof
  EXPECT_TRUE(rig.mqtt.connected());
  EXPECT_EQ(rig.mqtt.passwords.back(), fresh);
  EXPECT_TRUE(rig.mqtt.retained.empty());  // the server cleared the notice
  rig.run_for(60'000);
  EXPECT_EQ(rig.cloud.count("/iot/provisioning"), 1);
}

TEST_P(DeviceCoreRotation, ALostProvisioningAnswerIsRetriedAndGetsTheSameSecret) {
  Rig rig(GetParam());
  rig.mqtt.reachable = false;
  settle(rig);

  rig.cloud.start_rotation();
  const std::string fresh = rig.cloud.pending;
  Fault lost;
  lost.path = "/iot/provisioning";
  lost.lose_response = true;
  rig.cloud.faults.push_back(lost);
  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().rotations_completed == 1; }, 100));
  EXPECT_EQ(rig.cloud.count("/iot/provisioning"), 2);
  EXPECT_EQ(rig.cloud.seen[rig.cloud.seen.size() - (GetParam() ? 3 : 2)].path, "/iot/provisioning");
  EXPECT_EQ(prov_secret(rig), fresh);
  EXPECT_EQ(rig.cloud.current, fresh);
}

TEST_P(DeviceCoreRotation, ARefusedNewCredentialFallsBackToTheOldOne) {
  Rig rig(GetParam());
  rig.mqtt.reachable = false;
  settle(rig);
  rig.cloud.start_rotation();
  ASSERT_TRUE(rig.run_until([&] { return rig.device->rotating() && new_secret(rig); }, 50));
  // The server gives up on the attempt before the device proves it: old secret restored.
  rig.cloud.time_out_rotation();
  ASSERT_TRUE(rig.run_until([&] { return !new_secret(rig); }, 20));
  EXPECT_EQ(rig.device->stats().rotation_fallbacks, 1u);
  EXPECT_EQ(rig.device->stats().rotations_completed, 0u);
  EXPECT_FALSE(rig.device->rotating());
  EXPECT_EQ(rig.device->current_secret(), "old-secret");
  EXPECT_EQ(prov_secret(rig), "old-secret");
  rig.run_for(120'000);
  EXPECT_EQ(rig.device->stats().errors[static_cast<int>(ErrorKind::unauthorized)], 0u);
  EXPECT_GE(rig.device->stats().configs_unchanged, 2u);

  // The next attempt goes through.
  rig.cloud.start_rotation();
  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().rotations_completed == 1; }, 100));
  EXPECT_EQ(prov_secret(rig), rig.cloud.current);
}

TEST_P(DeviceCoreRotation, ANoticeWithNothingPendingStopsAt409) {
  Rig rig(GetParam());
  settle(rig);
  ASSERT_TRUE(rig.run_until([&] { return rig.mqtt.connected(); }));
  rig.mqtt.publish("iotsupport/" + rig.cloud.client_id + "/rotation",
                   R"({"client_id":"iotdevice-m1-k3x9a2b1","kind":"rotation"})", false);
  rig.run_for(2'000);
  EXPECT_EQ(rig.cloud.count("/iot/provisioning"), 1);
  EXPECT_FALSE(rig.device->rotating());
  EXPECT_EQ(rig.device->stats().rotations_started, 0u);
  EXPECT_FALSE(new_secret(rig));
}

// A reboot after any number of steps of a rotation, with or without the server timing the attempt
// out meanwhile: the device always comes back with a credential the server accepts.
TEST_P(DeviceCoreRotation, ARebootAtEveryPointKeepsAWorkingCredential) {
  for (const bool server_times_out : {false, true}) {
    for (int steps = 0; steps <= 8; ++steps) {
      SCOPED_TRACE("steps " + std::to_string(steps) + (server_times_out ? ", timed out" : ""));
      Rig rig(GetParam());
      rig.mqtt.reachable = false;
      settle(rig);
      rig.run_for(60'000 - 1);  // the next step polls and learns of the rotation
      rig.cloud.start_rotation();
      for (int i = 0; i < steps; ++i) rig.clock.now += rig.device->step();
      if (server_times_out) rig.cloud.time_out_rotation();

      ASSERT_TRUE(rig.start());  // the reboot
      const bool held_new = new_secret(rig).has_value();
      EXPECT_TRUE(rig.cloud.secret_accepted(prov_secret(rig)) ||
                  (held_new && rig.cloud.secret_accepted(*new_secret(rig))));
      const auto fetched = rig.device->stats().configs_fetched;
      ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().configs_fetched > fetched; }, 50));
      EXPECT_TRUE(rig.cloud.secret_accepted(std::string(rig.device->current_secret())));
      // Settled: nothing half-done remains, whatever the server decided.
      rig.run_for(5 * 60'000);
      EXPECT_FALSE(rig.device->rotating());
      EXPECT_FALSE(new_secret(rig));
      EXPECT_TRUE(rig.cloud.secret_accepted(prov_secret(rig)));
      if (!server_times_out) {
        EXPECT_FALSE(rig.cloud.rotation_pending);
      }
    }
  }
}

TEST_P(DeviceCoreRotation, ARebootBetweenCommitAndCleanupDropsTheSpare) {
  Rig rig(GetParam());
  rig.mqtt.reachable = false;
  rig.provision();
  rig.storage.set("state", "new_secret", "old-secret");
  ASSERT_TRUE(rig.start());
  EXPECT_FALSE(new_secret(rig));
  EXPECT_FALSE(rig.device->rotating());
  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().configs_fetched == 1; }));
}

TEST_P(DeviceCoreRotation, AfterARebootTheNewCredentialIsTriedFirst) {
  Rig rig(GetParam());
  rig.mqtt.reachable = false;
  settle(rig);
  rig.cloud.start_rotation();
  ASSERT_TRUE(rig.run_until([&] { return new_secret(rig).has_value(); }, 50));
  const std::string fresh = *new_secret(rig);
  ASSERT_TRUE(rig.start());
  EXPECT_TRUE(rig.device->rotating());
  EXPECT_EQ(rig.device->current_secret(), fresh);
  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().rotations_completed == 1; }, 10));
  EXPECT_EQ(prov_secret(rig), fresh);
  EXPECT_EQ(rig.cloud.count("/iot/provisioning"), 1);
}

TEST_P(DeviceCoreRotation, AFailedStorageWriteNeverUsesTheUnstoredSecret) {
  Rig rig(GetParam());
  rig.mqtt.reachable = false;
  settle(rig);
  rig.cloud.start_rotation();
  rig.storage.fail_writes = true;
  ASSERT_TRUE(rig.run_until([&] { return rig.cloud.count("/iot/provisioning") == 1; }, 50));
  rig.device->step();
  EXPECT_FALSE(rig.device->rotating() && rig.device->current_secret() != "old-secret");
  EXPECT_GE(rig.device->stats().errors[static_cast<int>(ErrorKind::storage)], 1u);
  rig.storage.fail_writes = false;
  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().rotations_completed == 1; }, 100));
  EXPECT_EQ(prov_secret(rig), rig.cloud.current);
}

INSTANTIATE_TEST_SUITE_P(Identities, DeviceCoreRotation, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "keycloak" : "local";
                         });

}  // namespace
}  // namespace device_core_test
