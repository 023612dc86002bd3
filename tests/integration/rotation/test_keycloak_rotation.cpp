// Rotation of Keycloak identities against the stand-in (tests/support/keycloak_standin.py): the
// token endpoint is the judge of which credential works.
#include <gtest/gtest.h>

#include "idp/keycloak.hpp"
#include "rotation_fixture.hpp"
#include "support/keycloak_standin.hpp"

namespace iotfleet::test_support {
namespace {

class KeycloakRotation : public RotationTest {
 protected:
  KeycloakStandin kc;
  std::unique_ptr<idp::KeycloakProvider> provider;
  std::unique_ptr<rotation::IdentityInstaller> kc_installer;
  std::string key, client_id, old_secret;

  KeycloakRotation() {
    idp::KeycloakSettings s;
    s.base_url = kc.url();
    s.realm = kc.options().realm;
    s.admin_client_id = KeycloakStandin::kAdminClientId;
    s.admin_client_secret = KeycloakStandin::kAdminClientSecret;
    s.http.timeout = std::chrono::seconds(3);
    provider = std::make_unique<idp::KeycloakProvider>(s);
    kc_installer = std::make_unique<rotation::IdentityInstaller>(
        box, &pepper, [this]() -> idp::IdentityProvider& { return *provider; });
    fleet::DeviceSpec spec;
    spec.model_code = "m";
    spec.identity = "keycloak";
    const auto created = fleet::create_devices(session, spec, fleet::IdentitySources{box, &pepper, provider.get()}).take();
    key = created[0].key;
    client_id = created[0].client_id;
    old_secret = current_secret(key);
  }

  long token_status(const std::string& secret) { return kc.request_token(client_id, secret).first; }

  rotation::CycleSummary cycle() {
    rotation::CycleContext ctx{db.conn(), *kc_installer, notifier, box, clock, "test", {}};
    return rotation::run_cycle(ctx, settings).take();
  }
};

TEST_F(KeycloakRotation, TheNewSecretIsSetOnTheClientAndAFreshTokenCompletes) {
  ASSERT_EQ(token_status(old_secret), 200);
  trigger(key);
  ASSERT_EQ(cycle().started, 1);
  EXPECT_EQ(token_status(old_secret), 200) << "nothing changes in Keycloak before the device asks";

  const auto issued = rotation::issue_pending(db.conn(), *kc_installer, box, key, clock.now());
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_EQ(token_status(issued->secret), 200);
  EXPECT_EQ(token_status(old_secret), 401);

  rotation::Proof proof;  // a token minted with the new secret, now
  proof.token_issued_at = clock.seconds();
  EXPECT_TRUE(rotation::complete_if_proven(db.conn(), *kc_installer, box, key, proof, clock.now()).value());
  EXPECT_EQ(state(key), "OK");
  EXPECT_EQ(current_secret(key), issued->secret);
}

TEST_F(KeycloakRotation, ATimeOutPutsThePreviousSecretBackOnTheClient) {
  trigger(key);
  cycle();
  const auto issued = rotation::issue_pending(db.conn(), *kc_installer, box, key, clock.now()).take();
  clock.advance(301);
  const auto s = cycle();
  EXPECT_EQ(s.restored, 1);
  EXPECT_EQ(token_status(old_secret), 200);
  EXPECT_EQ(token_status(issued.secret), 401);
  EXPECT_EQ(current_secret(key), old_secret);
}

TEST_F(KeycloakRotation, KeycloakDownDuringTheRestoreLeavesTheAttemptForTheNextRun) {
  trigger(key);
  cycle();
  rotation::issue_pending(db.conn(), *kc_installer, box, key, clock.now()).take();
  clock.advance(301);
  kc.stop();
  const auto s = cycle();
  EXPECT_EQ(s.timed_out, 0);
  EXPECT_TRUE(s.dependency_unavailable);
  ASSERT_FALSE(s.problems.empty());
  EXPECT_NE(s.problems[0].find(key), std::string::npos);
  EXPECT_EQ(state(key), "PENDING") << "still to be restored by the next run";
}

}  // namespace
}  // namespace iotfleet::test_support
