// Brute-force protection (issue 11): limits, honest Retry-After, doubling blocks, isolation of
// honest devices, bounded memory, and the client address behind trusted proxies.
#include "auth/throttle.hpp"

#include <gtest/gtest.h>

#include "support/manual_clock.hpp"

namespace iotfleet::auth {
namespace {

using std::chrono::seconds;
using test_support::ManualClock;

ThrottleSettings small() {
  ThrottleSettings s;
  s.address_limit = 5;
  s.device_limit = 3;
  s.window = seconds(60);
  s.first_block = seconds(30);
  s.max_block = seconds(240);
  s.capacity = 100;
  return s;
}

struct ThrottleTest : ::testing::Test {
  ManualClock clock{1'800'000'020};  // 20 s into a window
  Throttle throttle{small(), clock};
};

TEST_F(ThrottleTest, TheDeviceLimitTriggersAtTheConfiguredCount) {
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(throttle.failure("198.51.100.1", "k3x9a2b1").allowed) << "failure " << i;
    EXPECT_TRUE(throttle.check("198.51.100.1", "k3x9a2b1").allowed);
  }
  bool newly = false;  // the third failure reaches the limit of 3
  const auto v = throttle.failure("198.51.100.1", "k3x9a2b1", &newly);
  EXPECT_FALSE(v.allowed);
  EXPECT_TRUE(newly);
  EXPECT_EQ(v.scope, ThrottleScope::device);
  EXPECT_EQ(v.retry_after, seconds(30));
  EXPECT_FALSE(throttle.check("203.0.113.9", "k3x9a2b1").allowed) << "the device is blocked from anywhere";
  throttle.failure("198.51.100.1", "k3x9a2b1", &newly);
  EXPECT_FALSE(newly) << "a block starts once, however many failures follow";
}

TEST_F(ThrottleTest, RetryAfterIsHonest) {
  for (int i = 0; i < 4; ++i) throttle.failure("198.51.100.1", "k3x9a2b1");
  clock.advance(10);
  EXPECT_EQ(throttle.check("198.51.100.1", "k3x9a2b1").retry_after, seconds(20));
  clock.advance(19);
  EXPECT_FALSE(throttle.check("198.51.100.1", "k3x9a2b1").allowed);
  clock.advance(1);
  EXPECT_TRUE(throttle.check("198.51.100.1", "k3x9a2b1").allowed) << "open exactly when it said";
}

TEST_F(ThrottleTest, RepeatOffencesDoubleTheBlockUpToTheCap) {
  std::vector<std::int64_t> blocks;
  for (int round = 0; round < 5; ++round) {
    ThrottleVerdict v;
    const auto address = "198.51.100." + std::to_string(round);  // the device's own offences
    for (int i = 0; i < 4; ++i) v = throttle.failure(address, "k3x9a2b1");
    ASSERT_FALSE(v.allowed);
    EXPECT_EQ(v.scope, ThrottleScope::device);
    blocks.push_back(v.retry_after.count());
    clock.advance(v.retry_after.count());
  }
  EXPECT_EQ(blocks, (std::vector<std::int64_t>{30, 60, 120, 240, 240}));
}

TEST_F(ThrottleTest, FailuresOutsideTheSlidingWindowAreForgotten) {
  for (int i = 0; i < 3; ++i) throttle.failure("198.51.100.1", "k3x9a2b1");
  clock.advance(121);  // two windows later
  EXPECT_TRUE(throttle.failure("198.51.100.1", "k3x9a2b1").allowed);
  EXPECT_TRUE(throttle.failure("198.51.100.1", "k3x9a2b1").allowed);
}

TEST_F(ThrottleTest, TheSlidingWindowCountsThePreviousWindowByItsOverlap) {
  clock.set(1'800'000'040);  // 40 s into the window
  for (int i = 0; i < 2; ++i) throttle.failure("198.51.100.1", "k3x9a2b1");
  clock.advance(30);  // 10 s into the next window: 50/60 of the previous one still counts
  EXPECT_TRUE(throttle.failure("198.51.100.1", "k3x9a2b1").allowed) << "2 × 5/6 + 1 < 3";
  EXPECT_FALSE(throttle.failure("198.51.100.1", "k3x9a2b1").allowed)
      << "2 × 5/6 + 2 ≥ 3: a window boundary is no reset";
}

TEST_F(ThrottleTest, AnHonestDeviceBehindTheSameAddressKeepsWorkingUnderTheAddressLimit) {
  // An attacker behind a NAT guesses secrets of one device: that device is blocked...
  for (int i = 0; i < 3; ++i) throttle.failure("192.0.2.7", "victim00");
  EXPECT_FALSE(throttle.check("192.0.2.7", "victim00").allowed);
  // ...but a neighbour behind the same address is not, until the address limit itself trips.
  EXPECT_TRUE(throttle.check("192.0.2.7", "honest01").allowed);
  throttle.failure("192.0.2.7", "victim00");
  const auto v = throttle.failure("192.0.2.7", "victim00");  // the address's 5th
  EXPECT_EQ(throttle.check("192.0.2.7", "honest01").scope, ThrottleScope::address);
  EXPECT_FALSE(v.allowed);
  EXPECT_TRUE(throttle.check("198.51.100.2", "honest01").allowed) << "other addresses are untouched";
}

TEST_F(ThrottleTest, ForgedTokensWithoutADeviceKeyCountAgainstTheAddress) {
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(throttle.failure("198.51.100.3", "").allowed);
  const auto v = throttle.failure("198.51.100.3", "");
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.scope, ThrottleScope::address);
}

TEST_F(ThrottleTest, MemoryStaysBoundedUnderManyAddresses) {
  for (int i = 0; i < 10'000; ++i)
    throttle.failure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), "");
  EXPECT_EQ(throttle.tracked(), 100u);
}

TEST(TrustedProxies, TheClientAddressComesFromXForwardedForOnlyBehindATrustedProxy) {
  TrustedProxies proxies;
  std::string error;
  ASSERT_TRUE(proxies.add("10.0.0.0/8", &error)) << error;
  ASSERT_TRUE(proxies.add("fd00::/8", &error)) << error;
  EXPECT_EQ(proxies.client_address("203.0.113.5", "1.2.3.4"), "203.0.113.5")
      << "a spoofed header from an untrusted peer is ignored";
  EXPECT_EQ(proxies.client_address("10.1.2.3", "198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(proxies.client_address("10.1.2.3", "6.6.6.6, 198.51.100.7, 10.9.9.9"), "198.51.100.7")
      << "the rightmost untrusted hop; what the client itself wrote further left is ignored";
  EXPECT_EQ(proxies.client_address("fd12::1", "2001:db8::5"), "2001:db8::5");
  EXPECT_EQ(proxies.client_address("10.1.2.3", "garbage"), "10.1.2.3");
  EXPECT_EQ(proxies.client_address("10.1.2.3", ""), "10.1.2.3");
}

TEST(TrustedProxies, RangesAreCheckedBitByBit) {
  TrustedProxies proxies;
  ASSERT_TRUE(proxies.add("192.168.4.0/22", nullptr));
  EXPECT_TRUE(proxies.contains("192.168.7.255"));
  EXPECT_FALSE(proxies.contains("192.168.8.0"));
  EXPECT_FALSE(proxies.contains("::ffff:192.168.4.1")) << "families are not mixed";
  std::string error;
  EXPECT_FALSE(proxies.add("10.0.0.0/33", &error));
  EXPECT_NE(error.find("0-32"), std::string::npos);
  EXPECT_FALSE(proxies.add("example.com", &error));
}

}  // namespace
}  // namespace iotfleet::auth
