// Brute-force protection in iot-serve (issue 11), over real HTTP: the limit triggers at the
// configured count with an honest Retry-After, an honest device keeps working while another is
// attacked, a spoofed X-Forwarded-For from an untrusted peer changes nothing, and blocked
// requests are answered before authentication (no auth failure is counted for them).
#include <gtest/gtest.h>

#include "serve_fixture.hpp"

namespace iotfleet::test_support {
namespace {

class ServeThrottle : public ServeTest {
 protected:
  std::vector<std::string> keys;
  void SetUp() override {
    keys = create_local_devices("env_sensor", 2);
    start({{"IOT_SERVE_AUTH_FAIL_DEVICE_LIMIT", "3"},
           {"IOT_SERVE_AUTH_FAIL_ADDRESS_LIMIT", "6"},
           {"IOT_SERVE_AUTH_BLOCK_SECONDS", "120"}});
  }
  HttpOptions wrong(const std::string& key, std::vector<std::string> headers = {}) {
    HttpOptions o;
    o.user = key;
    o.password = "not-the-secret-of-this-device-at-all-000000";
    o.headers = std::move(headers);
    return o;
  }
  std::string metrics() { return get("/metrics").body; }
};

TEST_F(ServeThrottle, TheDeviceLimitAnswers429WithRetryAfter) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(get("/iot/config", wrong(keys[0])).status, 401) << i;
  const auto blocked = get("/iot/config", wrong(keys[0]));  // 3 failures were allowed
  EXPECT_EQ(blocked.status, 429);
  const auto retry = std::stoi(blocked.header("retry-after"));
  EXPECT_GT(retry, 100);
  EXPECT_LE(retry, 120);
  // Blocked before authentication: even the right secret waits, and nothing more is counted.
  EXPECT_EQ(get("/iot/config", as(keys[0])).status, 429);
  EXPECT_NE(metrics().find("iot_serve_auth_throttled_total{scope=\"device\"} 2"), std::string::npos);
}

TEST_F(ServeThrottle, AnHonestDeviceKeepsWorkingWhileAnotherIsAttacked) {
  for (int i = 0; i < 4; ++i) get("/iot/config", wrong(keys[0]));
  ASSERT_EQ(get("/iot/config", wrong(keys[0])).status, 429);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(get("/iot/config", as(keys[1])).status, 200) << "honest request " << i;
}

TEST_F(ServeThrottle, TheAddressLimitCatchesGuessesSpreadOverDevices) {
  int refused = 0;
  for (int i = 0; i < 7; ++i) {
    const auto key = "zz" + std::to_string(100000 + i);  // keys that do not exist, one try each
    refused += get("/iot/config", wrong(key)).status == 429;
  }
  EXPECT_EQ(get("/iot/config", wrong("zz200000")).status, 429);
  EXPECT_GE(refused, 1);
  EXPECT_NE(metrics().find("iot_serve_auth_throttled_total{scope=\"address\"}"), std::string::npos);
}

TEST_F(ServeThrottle, ASpoofedForwardedForFromAnUntrustedPeerIsIgnored) {
  // Each request claims another origin; the peer (127.0.0.1) is not a trusted proxy, so all of
  // them count against 127.0.0.1 and the address limit still trips.
  int last = 0;
  for (int i = 0; i < 8; ++i)
    last = get("/iot/config", wrong("zz" + std::to_string(300000 + i),
                                    {"X-Forwarded-For: 198.51.100." + std::to_string(i)}))
               .status;
  EXPECT_EQ(last, 429);
}

class ServeThrottleBehindProxy : public ServeThrottle {
 protected:
  void SetUp() override {
    keys = create_local_devices("env_sensor", 1);
    start({{"IOT_SERVE_AUTH_FAIL_DEVICE_LIMIT", "100"},
           {"IOT_SERVE_AUTH_FAIL_ADDRESS_LIMIT", "2"},
           {"IOT_SERVE_TRUSTED_PROXIES", "127.0.0.0/8"}});
  }
};

TEST_F(ServeThrottleBehindProxy, ClientsAreToldApartByForwardedForFromATrustedProxy) {
  const std::vector<std::string> attacker{"X-Forwarded-For: 203.0.113.66"};
  for (int i = 0; i < 3; ++i) get("/iot/config", wrong("zz" + std::to_string(400000 + i), attacker));
  EXPECT_EQ(get("/iot/config", wrong("zz400009", attacker)).status, 429);
  HttpOptions honest = as(keys[0]);
  honest.headers = {"X-Forwarded-For: 198.51.100.20"};
  EXPECT_EQ(get("/iot/config", honest).status, 200) << "another client behind the same proxy";
}

TEST(ServeThrottleSettings, BadProxiesAreUsageErrors) {
  const auto s = http::ServeSettings::load(http::config_with_flags(
      {{"IOT_SERVE_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example"}}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, core::ErrorKind::usage);
  EXPECT_NE(s.error().message.find("proxy.example"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace iotfleet::test_support
