// The device's side of a rotation, as iot-serve performs it, on the real PostgreSQL.
#include <gtest/gtest.h>

#include "rotation/exchange.hpp"
#include "rotation_fixture.hpp"

namespace iotfleet::test_support {
namespace {

struct ExchangeTest : RotationTest {
  std::string key, other, old_secret;
  ExchangeTest() {
    const auto keys = create_devices(2);
    key = keys[0];
    other = keys[1];
    old_secret = current_secret(key);
    trigger(key);
    settings.max_in_flight = 2;
    run();
  }
};

TEST_F(ExchangeTest, ProvisioningInstallsOnceAndReturnsTheSameCredentialAgain) {
  const auto first = provisioning(key);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->first_issue);
  EXPECT_EQ(first->client_id, "iotdevice-m-" + key);
  const auto installed_at = column(key, "rotation_installed_at");
  EXPECT_FALSE(installed_at.empty());
  clock.advance(5);
  const auto second = provisioning(key);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->first_issue);
  EXPECT_EQ(second->secret, first->secret) << "never another credential";
  EXPECT_EQ(column(key, "rotation_installed_at"), installed_at);
  EXPECT_TRUE(accepted(key, first->secret));
  EXPECT_EQ(box.open(column(key, "previous_secret"), idp::device_secret_context(key)).value(), old_secret);
}

TEST_F(ExchangeTest, ProvisioningWithoutAPendingRotationIsAConflict) {
  const auto r = provisioning(other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(provisioning("zzzzzzzz").error().kind, core::ErrorKind::not_found);
}

TEST_F(ExchangeTest, TheOldCredentialDoesNotCompleteTheRotation) {
  const auto issued = provisioning(key).take();
  EXPECT_FALSE(complete_basic(key, old_secret).value());
  EXPECT_EQ(state(key), "PENDING");
  EXPECT_TRUE(complete_basic(key, issued.secret).value());
  EXPECT_EQ(state(key), "OK");
  EXPECT_EQ(current_secret(key), issued.secret);
  EXPECT_EQ(column(key, "pending_secret"), "");
  EXPECT_EQ(column(key, "previous_secret"), "");
  EXPECT_EQ(column(key, "rotation_attempts"), "0");
  EXPECT_FALSE(column(key, "last_rotation_completed_at").empty());
  EXPECT_TRUE(accepted(key, issued.secret));
  EXPECT_FALSE(accepted(key, old_secret));
  EXPECT_FALSE(complete_basic(key, issued.secret).value()) << "nothing left to complete";
}

TEST_F(ExchangeTest, NothingCompletesBeforeTheCredentialIsInstalled) {
  const auto pending = box.open(column(key, "pending_secret"), idp::device_secret_context(key)).take();
  EXPECT_FALSE(complete_basic(key, pending).value());
  EXPECT_EQ(state(key), "PENDING");
}

TEST_F(ExchangeTest, ABearerTokenProvesTheNewCredentialByItsIssueTime) {
  provisioning(key).take();
  const auto installed = std::stoll(db.scalar(
      "SELECT extract(epoch FROM rotation_installed_at)::bigint FROM devices WHERE key = '" + key + "'"));
  rotation::Proof proof;
  proof.token_issued_at = installed - 31;  // minted before the install, beyond the 30 s skew
  EXPECT_FALSE(rotation::complete_if_proven(db.conn(), installer, box, key, proof, clock.now()).value());
  proof.token_issued_at = installed - 30;
  EXPECT_TRUE(rotation::complete_if_proven(db.conn(), installer, box, key, proof, clock.now()).value());
  EXPECT_EQ(state(key), "OK");
}

TEST_F(ExchangeTest, ADeviceCannotCompleteAnotherDevicesRotation) {
  trigger(other);
  run();
  const auto mine = provisioning(key).take();
  const auto theirs = provisioning(other).take();
  EXPECT_FALSE(complete_basic(other, mine.secret).value());
  EXPECT_FALSE(complete_basic(key, theirs.secret).value());
  EXPECT_EQ(state(key), "PENDING");
  EXPECT_EQ(state(other), "PENDING");
}

TEST_F(ExchangeTest, ProvisioningAfterTheTimeOutIsRefusedAndTheOldCredentialWorks) {
  provisioning(key).take();
  clock.advance(301);
  run();
  ASSERT_EQ(state(key), "TIMEOUT");
  EXPECT_EQ(provisioning(key).error().kind, core::ErrorKind::conflict);
  EXPECT_TRUE(accepted(key, old_secret));
}

}  // namespace
}  // namespace iotfleet::test_support
