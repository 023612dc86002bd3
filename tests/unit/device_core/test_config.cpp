// The device core's start, configuration polling, tokens, MQTT and error handling.

#include <gtest/gtest.h>

#include "core/encoding.hpp"
#include "fakes.hpp"

namespace device_core_test {
namespace {

std::uint32_t errors(const Device& d, ErrorKind kind) {
  return d.stats().errors[static_cast<int>(kind)];
}

std::string basic(const std::string& key, const std::string& secret) {
  const std::string pair = key + ":" + secret;
  return "Basic " + iotfleet::core::base64_encode(
                        {reinterpret_cast<const std::uint8_t*>(pair.data()), pair.size()});
}

TEST(DeviceCoreBegin, FailsWhenARequiredPackageFieldIsMissing) {
  for (const char* field : {"device_key", "client_id", "client_secret", "base_url"}) {
    Rig rig;
    rig.provision();
    rig.storage.values.erase(std::string("prov/") + field);
    EXPECT_FALSE(rig.start()) << field;
    EXPECT_GT(rig.device->step(), 0u);  // idle, no request
    EXPECT_TRUE(rig.cloud.seen.empty()) << field;
  }
  Rig empty_secret;
  empty_secret.provision();
  empty_secret.storage.set("prov", "client_secret", "");
  EXPECT_FALSE(empty_secret.start());
}

TEST(DeviceCoreBegin, OptionalFieldsMayBeAbsentAndTheVersionIsRead) {
  Rig rig;
  rig.provision();
  rig.storage.values.erase("prov/token_url");
  rig.storage.values.erase("prov/mqtt_url");
  rig.storage.set("state", "fw_version", "1.4.2");
  ASSERT_TRUE(rig.start());
  EXPECT_EQ(rig.device->firmware_version(), "1.4.2");
  EXPECT_EQ(rig.device->current_secret(), "old-secret");
  EXPECT_FALSE(rig.device->rotating());
}

TEST(DeviceCoreConfig, FirstPollFetchesThenEtagGives304) {
  Rig rig;
  rig.provision();
  ASSERT_TRUE(rig.start());
  const std::uint32_t delay = rig.device->step();
  ASSERT_EQ(rig.cloud.seen.size(), 1u);
  EXPECT_EQ(rig.cloud.seen[0].path, "/iot/config");  // base_url's trailing '/' is not doubled
  EXPECT_EQ(rig.cloud.seen[0].authorization, basic("k3x9a2b1", "old-secret"));
  EXPECT_EQ(rig.cloud.seen[0].if_none_match, "");
  EXPECT_EQ(rig.device->stats().configs_fetched, 1u);
  EXPECT_EQ(rig.device->config_etag(), "\"cfg-1\"");
  EXPECT_EQ(rig.device->config_body(), rig.cloud.config_body);
  EXPECT_LE(delay, rig.tunables.config_poll_ms);

  rig.mqtt.reachable = false;
  rig.run_for(rig.tunables.config_poll_ms);
  rig.device->step();
  EXPECT_EQ(rig.cloud.count("/iot/config"), 2);
  std::size_t last = rig.cloud.seen.size() - 1;
  while (rig.cloud.seen[last].path != "/iot/config") --last;
  EXPECT_EQ(rig.cloud.seen[last].if_none_match, "\"cfg-1\"");
  EXPECT_EQ(rig.device->stats().configs_unchanged, 1u);
  EXPECT_EQ(rig.device->config_body(), rig.cloud.config_body);  // kept across the 304

  rig.cloud.config_etag = "\"cfg-2\"";
  rig.cloud.config_body = R"({"led":"off"})";
  rig.run_for(rig.tunables.config_poll_ms + 1);
  EXPECT_EQ(rig.device->stats().configs_fetched, 2u);
  EXPECT_EQ(rig.device->config_body(), R"({"led":"off"})");
}

TEST(DeviceCoreConfig, PollsAtTheConfiguredInterval) {
  Rig rig;
  rig.provision();
  ASSERT_TRUE(rig.start());
  rig.run_for(10 * 60'000 + 1);
  EXPECT_EQ(rig.cloud.count("/iot/config"), 11);
  for (std::size_t i = 1, last = 0; i < rig.cloud.seen.size(); ++i) {
    if (rig.cloud.seen[i].path != "/iot/config") continue;
    if (last != 0) {
      EXPECT_EQ(rig.cloud.seen[i].at_ms - rig.cloud.seen[last].at_ms, 60'000u);
    }
    last = i;
  }
}

TEST(DeviceCoreToken, FetchedOnceCachedAndRefreshedBeforeExpiry) {
  Rig rig(true);
  rig.cloud.client_id = "iotdevice-m1 k3&x=";  // exercises the form encoding
  rig.cloud.current = "s3cr+t/&=%";
  rig.provision();
  ASSERT_TRUE(rig.start());
  rig.device->step();
  ASSERT_EQ(rig.cloud.seen.size(), 1u);
  EXPECT_EQ(rig.cloud.seen[0].path, "token");
  EXPECT_EQ(rig.cloud.seen[0].body,
            "grant_type=client_credentials&client_id=iotdevice-m1+k3%26x%3D"
            "&client_secret=s3cr%2Bt%2F%26%3D%25");
  rig.device->step();
  ASSERT_EQ(rig.cloud.seen.size(), 2u);
  EXPECT_EQ(rig.cloud.seen[1].path, "/iot/config");
  EXPECT_EQ(rig.cloud.seen[1].authorization, "Bearer eyJ.token-1.sig");
  EXPECT_EQ(rig.device->stats().tokens_fetched, 1u);
  EXPECT_EQ(rig.device->stats().configs_fetched, 1u);

  // 300 s tokens, 30 s margin: the polls at 60, 120, 180, 240 s reuse it, 300 s needs another.
  rig.mqtt.reachable = false;
  rig.run_for(4 * 60'000 + 1);
  EXPECT_EQ(rig.device->stats().tokens_fetched, 1u);
  EXPECT_EQ(rig.cloud.count("/iot/config"), 5);
  rig.run_for(60'000);
  EXPECT_EQ(rig.device->stats().tokens_fetched, 2u);
  EXPECT_EQ(rig.cloud.seen.back().authorization, "Bearer eyJ.token-2.sig");
}

TEST(DeviceCoreToken, A401WithACachedTokenFetchesANewOneOnce) {
  Rig rig(true);
  rig.provision();
  ASSERT_TRUE(rig.start());
  rig.mqtt.reachable = false;
  rig.run_until([&] { return rig.device->stats().configs_fetched == 1; });
  rig.cloud.revoke_tokens();  // those issued so far
  rig.run_for(60'000);
  ASSERT_TRUE(rig.run_until([&] { return rig.device->stats().configs_unchanged == 1; }));
  EXPECT_EQ(rig.device->stats().tokens_fetched, 2u);
  EXPECT_EQ(errors(*rig.device, ErrorKind::unauthorized), 0u);
  std::size_t t = rig.cloud.seen.size() - 1;
  while (t > 0 && rig.cloud.seen[t].path != "token") --t;
  ASSERT_GT(t, 0u);
  EXPECT_EQ(rig.cloud.seen[t - 1].authorization, "Bearer eyJ.token-1.sig");  // answered 401
  EXPECT_EQ(rig.cloud.seen[t + 1].authorization, "Bearer eyJ.token-2.sig");
}

TEST(DeviceCoreToken, ARefusedCredentialIsCountedAndBackedOff) {
  Rig rig(true);
  rig.provision();
  rig.cloud.current = "something-else";
  ASSERT_TRUE(rig.start());
  rig.mqtt.reachable = false;
  rig.run_for(10'000);
  EXPECT_GE(errors(*rig.device, ErrorKind::unauthorized), 1u);
  EXPECT_LE(rig.cloud.count("token"), 5);  // back-off, not a tight loop
  EXPECT_EQ(rig.device->stats().tokens_fetched, 0u);
  EXPECT_EQ(rig.device->current_secret(), "old-secret");
}

TEST(DeviceCoreErrors, ThrottledRequestsHonourRetryAfter) {
  Rig rig;
  rig.provision();
  rig.storage.values.erase("prov/mqtt_url");  // no MQTT: only HTTP work is scheduled
  rig.cloud.faults.push_back(Fault::answer("/iot/config", 429, 42));
  ASSERT_TRUE(rig.start());
  const std::uint32_t delay = rig.device->step();
  EXPECT_EQ(errors(*rig.device, ErrorKind::throttled), 1u);
  EXPECT_EQ(delay, 42'000u);
  rig.run_for(41'999);
  EXPECT_EQ(rig.cloud.count("/iot/config"), 1);
  rig.run_for(2);
  EXPECT_EQ(rig.cloud.count("/iot/config"), 2);
  EXPECT_EQ(rig.device->stats().configs_fetched, 1u);

  rig.cloud.faults.push_back(Fault::answer("/iot/config", 503, 7));
  rig.run_for(70'000);
  EXPECT_EQ(errors(*rig.device, ErrorKind::server), 1u);
  EXPECT_EQ(rig.cloud.seen.back().at_ms - rig.cloud.seen[rig.cloud.seen.size() - 2].at_ms, 7'000u);
}

TEST(DeviceCoreErrors, NetworkFailuresBackOffExponentiallyWithJitterUpToTheCap) {
  Rig rig;
  rig.provision();
  rig.storage.values.erase("prov/mqtt_url");
  rig.random.value = 0xFFFFFFFFu;  // the top of each jitter range
  rig.tunables.backoff_base_ms = 1'000;
  rig.tunables.backoff_cap_ms = 20'000;
  for (int i = 0; i < 12; ++i)
    rig.cloud.faults.push_back(Fault::network("/iot/config", NetResult::unreachable));
  ASSERT_TRUE(rig.start());
  rig.run_for(200'000);
  std::vector<std::uint64_t> gaps;
  for (std::size_t i = 1; i < rig.cloud.seen.size(); ++i)
    gaps.push_back(rig.cloud.seen[i].at_ms - rig.cloud.seen[i - 1].at_ms);
  ASSERT_GE(gaps.size(), 8u);
  const std::vector<std::uint64_t> expected = {1'000, 2'000, 4'000, 8'000, 16'000, 20'000, 20'000};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(gaps[i], expected[i], 1) << i;
  EXPECT_EQ(errors(*rig.device, ErrorKind::network), 12u);
  EXPECT_GE(rig.device->stats().configs_fetched, 1u);
  // Success resets the back-off: the next failure waits the base again.
  const auto before = rig.cloud.seen.size();
  rig.cloud.faults.push_back(Fault::network("/iot/config", NetResult::timeout));
  rig.run_for(61'001);
  ASSERT_GE(rig.cloud.seen.size(), before + 2);
  EXPECT_NEAR(rig.cloud.seen[before + 1].at_ms - rig.cloud.seen[before].at_ms, 1'000, 1);
}

TEST(DeviceCoreErrors, ServerErrorsBackOffAndUnexpectedStatusesAreCounted) {
  Rig rig;
  rig.provision();
  rig.mqtt.reachable = false;
  rig.random.value = 0;  // full jitter can mean "at once"
  rig.cloud.faults.push_back(Fault::answer("/iot/config", 500));
  rig.cloud.faults.push_back(Fault::answer("/iot/config", 418));
  ASSERT_TRUE(rig.start());
  rig.device->step();
  rig.device->step();
  EXPECT_EQ(errors(*rig.device, ErrorKind::server), 1u);
  EXPECT_EQ(errors(*rig.device, ErrorKind::bad_response), 1u);
  EXPECT_STREQ(error_kind_name(ErrorKind::firmware_integrity), "firmware_integrity");
  EXPECT_STREQ(error_kind_name(ErrorKind::bad_response), "bad_response");
}

TEST(DeviceCoreMqtt, ConnectsWithTheClientIdAndSecretAndSubscribes) {
  Rig rig;
  rig.provision();
  ASSERT_TRUE(rig.start());
  rig.run_for(1'000);
  ASSERT_EQ(rig.mqtt.passwords.size(), 1u);
  EXPECT_EQ(rig.mqtt.client_ids[0], rig.cloud.client_id);
  EXPECT_EQ(rig.mqtt.usernames[0], rig.cloud.client_id);
  EXPECT_EQ(rig.mqtt.passwords[0], "old-secret");
  ASSERT_EQ(rig.mqtt.subscriptions.size(), 1u);
  EXPECT_EQ(rig.mqtt.subscriptions[0], "iotsupport/iotdevice-m1-k3x9a2b1/rotation");
  // An empty retained payload (a cleared notice) and other topics are ignored.
  rig.mqtt.publish("iotsupport/iotdevice-m1-k3x9a2b1/rotation", "", true);
  rig.mqtt.publish("iotsupport/someone-else/rotation", R"({"kind":"rotation"})", false);
  rig.run_for(2'000);
  EXPECT_EQ(rig.device->stats().notices_received, 0u);
  EXPECT_EQ(rig.cloud.count("/iot/provisioning"), 0);
}

TEST(DeviceCoreMqtt, ReconnectsWithBackoffAndNothingDependsOnIt) {
  Rig rig;
  rig.provision();
  rig.mqtt.reachable = false;
  rig.random.value = 0xFFFFFFFFu;
  ASSERT_TRUE(rig.start());
  rig.run_for(15 * 60'000);
  // Attempts at 0, 1, 3, 7, 15, 31, 63, 127, 255 s, then every 300 s (the cap).
  EXPECT_GE(rig.mqtt.passwords.size(), 9u);
  EXPECT_LE(rig.mqtt.passwords.size(), 13u);
  EXPECT_EQ(rig.cloud.count("/iot/config"), 15);
  rig.mqtt.reachable = true;
  rig.run_for(301'000);
  EXPECT_TRUE(rig.mqtt.connected());
  rig.mqtt.drop_connection();
  rig.run_for(5'000);
  EXPECT_TRUE(rig.mqtt.connected());
}

}  // namespace
}  // namespace device_core_test
