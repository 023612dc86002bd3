// Device authentication end to end: devices created in PostgreSQL and in the Keycloak stand-in
// through lib/fleet, tokens issued and signed by the stand-in (python-jwt, not the toolkit's
// code), keys found through OIDC discovery, devices looked up in the database. One test per
// attack, each asserting its rejection reason.
#include <gtest/gtest.h>

#include <ctime>

#include "auth/authenticator.hpp"
#include "auth/database_directory.hpp"
#include "auth/jwt.hpp"
#include "auth/oidc.hpp"
#include "core/encoding.hpp"
#include "fleet/devices.hpp"
#include "fleet/identities.hpp"
#include "idp/keycloak.hpp"
#include "support/auth_printers.hpp"
#include "support/keycloak_standin.hpp"
#include "support/manual_clock.hpp"
#include "test_support/database.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {
namespace {

using auth::Reason;

const char* kPepper = "cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg==";

class DeviceAuth : public ::testing::Test {
 protected:
  DeviceAuth() {
    fleet::create_model(session, "env_sensor", "Environment sensor", std::nullopt).take();
    fleet::create_model(session, "other", "Other model", std::nullopt).take();
    fleet::DeviceSpec spec;
    spec.model_code = "env_sensor";
    spec.identity = "keycloak";
    spec.count = 2;
    const auto kc_devices =
        fleet::create_devices(session, spec, fleet::IdentitySources{box, nullptr, &provider})
            .take();
    a = kc_devices[0].key;
    b = kc_devices[1].key;
    spec.identity = "local";
    spec.count = 1;
    local = fleet::create_devices(session, spec, fleet::LocalSecrets{box, pepper}).take()[0].key;
    for (const auto& key : {a, b, local})
      secrets[key] = fleet::read_credential(session, key, box).take().secret;
    make_verifier("RS256");
    clock.set(std::time(nullptr));  // now, after a set-up that may have been slow
  }

  static idp::KeycloakSettings settings_for(const KeycloakStandin& kc) {
    idp::KeycloakSettings s;
    s.base_url = kc.url();
    s.realm = "iot";
    s.admin_client_id = KeycloakStandin::kAdminClientId;
    s.admin_client_secret = KeycloakStandin::kAdminClientSecret;
    return s;
  }

  void make_verifier(const std::string& algorithms) {
    auth::VerifierSettings s;
    s.issuer = kc.issuer();
    s.audience = "iot-api";
    s.algorithms.clear();
    for (std::size_t pos = 0; pos < algorithms.size();) {
      const auto comma = std::min(algorithms.find(',', pos), algorithms.size());
      s.algorithms.insert(algorithms.substr(pos, comma - pos));
      pos = comma + 1;
    }
    keys = auth::make_jwks_cache(
        s, core::Config([](const std::string&) { return std::optional<std::string>(); }), clock);
    verifier = std::make_unique<auth::TokenVerifier>(s, *keys, clock);
    authenticator = std::make_unique<auth::Authenticator>(verifier.get(), &pepper, directory);
  }

  std::string client_of(const std::string& key, const std::string& model = "env_sensor") {
    return "iotdevice-" + model + "-" + key;
  }
  std::string token_of(const std::string& key) {
    return kc.device_token(client_of(key), secrets[key]);
  }
  std::string mint(nlohmann::json request) {
    if (!request.contains("client_id")) request["client_id"] = client_of(a);
    return kc.mint(request);
  }
  auth::Verdict<auth::AuthenticatedDevice> bearer(const std::string& token,
                                                  const std::string& resource = "") {
    return authenticator->authenticate("Bearer " + token, resource);
  }
  Reason rejected(const std::string& token, const std::string& resource = "") {
    const auto r = bearer(token, resource);
    EXPECT_FALSE(r) << "accepted";
    if (r) return Reason::missing_credentials;
    if (token.size() > 16) {
      EXPECT_EQ(r.rejection().message.find(token), std::string::npos)
          << "the token is in the message";
    }
    return r.rejection().reason;
  }

  TestDatabase db;
  KeycloakStandin kc;
  core::SecretBox box =
      core::SecretBox::from_keyring(core::SecretBox::generate_keyring_entry("k1")).take();
  idp::Pepper pepper = idp::Pepper::parse(kPepper).take();
  fleet::Session session{db.conn(), "test"};
  idp::KeycloakProvider provider{settings_for(kc)};
  ManualClock clock{static_cast<std::int64_t>(std::time(nullptr))};
  auth::DatabaseDirectory directory{db.conn()};
  std::unique_ptr<auth::JwksCache> keys;
  std::unique_ptr<auth::TokenVerifier> verifier;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::string a, b, local;
  std::map<std::string, std::string> secrets;
};

TEST_F(DeviceAuth, AKeycloakTokenAuthenticatesItsDevice) {
  const auto r = bearer(token_of(a), a);
  ASSERT_TRUE(r) << r.rejection().message;
  EXPECT_EQ(r->key, a);
  EXPECT_EQ(r->model_code, "env_sensor");
  EXPECT_EQ(r->client_id, client_of(a));
  EXPECT_EQ(kc.counter("discovery_requests"), 1);
  EXPECT_EQ(kc.counter("jwks_requests"), 1);
}

TEST_F(DeviceAuth, EveryAllowedAlgorithmVerifiesAgainstTheStandinsSigner) {
  make_verifier("RS256,RS384,RS512,PS256,ES256,ES384");
  for (const char* alg : {"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"}) {
    kc.control("config", {{"default_alg", alg}});  // the realm's default signature algorithm
    const std::string token = token_of(a);
    EXPECT_EQ(
        nlohmann::json::parse(*core::base64url_decode(token.substr(0, token.find('.'))))["alg"],
        alg);
    const auto r = bearer(token, a);
    EXPECT_TRUE(r) << alg << ": " << (r ? "" : r.rejection().message);
  }
}

TEST_F(DeviceAuth, KeycloakBefore21_1ClientIdClaimIsAccepted) {
  kc.control("config", {{"claim_style", "clientId"}});
  const std::string token = token_of(a);
  const auto claims = nlohmann::json::parse(*core::base64url_decode(
      token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1)));
  ASSERT_TRUE(claims.contains("clientId"));
  ASSERT_FALSE(claims.contains("client_id"));
  EXPECT_TRUE(bearer(token, a));
}

TEST_F(DeviceAuth, ThePackagesCredentialsGetATokenThatAuthenticates) {
  const auto credential = fleet::read_credential(session, b, box).take();
  const auto r = bearer(kc.device_token(credential.device.client_id, credential.secret), b);
  EXPECT_TRUE(r) << r.rejection().message;
}

TEST_F(DeviceAuth, AttackAlgNone) {
  EXPECT_EQ(rejected(mint({{"sign", "none"}})), Reason::alg_none);
}

TEST_F(DeviceAuth, AttackHmacSignedWithTheRealmsPublicKey) {
  EXPECT_EQ(rejected(mint({{"sign", "hmac-with-public-key"}})), Reason::alg_hmac);
}

TEST_F(DeviceAuth, AttackAlgorithmOutsideTheAllowList) {
  kc.control("config", {{"default_alg", "ES256"}});
  EXPECT_EQ(rejected(token_of(a)), Reason::alg_not_allowed);
}

TEST_F(DeviceAuth, AttackUnknownKidIsRejectedAfterOneRateLimitedRefetch) {
  ASSERT_TRUE(bearer(token_of(a)));
  clock.advance(31);
  EXPECT_EQ(rejected(mint({{"kid", "made-up-kid-1"}})), Reason::unknown_kid);
  EXPECT_EQ(kc.counter("jwks_requests"), 2) << "one refetch for the unknown kid";
  for (int i = 2; i < 20; ++i)
    EXPECT_EQ(rejected(mint({{"kid", "made-up-kid-" + std::to_string(i)}})), Reason::unknown_kid);
  EXPECT_EQ(kc.counter("jwks_requests"), 2) << "no more than one refetch per 30 s";
}

TEST_F(DeviceAuth, ARotatedKeyIsPickedUpAndARemovedOneIsRejected) {
  ASSERT_TRUE(bearer(token_of(a)));
  const std::string unseen = mint({});  // signed with the key about to be removed, never verified
  clock.advance(31);
  kc.control("rotate-keys", {{"alg", "RS256"}, {"keep_old", false}});
  const auto fresh = bearer(token_of(a));
  EXPECT_TRUE(fresh) << "the new kid is fetched: " << (fresh ? "" : fresh.rejection().message);
  EXPECT_EQ(kc.counter("jwks_requests"), 2);
  EXPECT_EQ(rejected(unseen), Reason::unknown_kid);
}

TEST_F(DeviceAuth, AttackSignatureOverDifferentBytes) {
  // Device A's real token with the payload swapped for one naming device B.
  const std::string token_a = token_of(a), token_b = token_of(b);
  const auto p = [](const std::string& t) {
    return t.substr(t.find('.') + 1, t.rfind('.') - t.find('.') - 1);
  };
  const std::string forged =
      token_a.substr(0, token_a.find('.') + 1) + p(token_b) + token_a.substr(token_a.rfind('.'));
  EXPECT_EQ(rejected(forged, b), Reason::bad_signature);
}

TEST_F(DeviceAuth, AttackRightKidButAnotherKey) {
  EXPECT_EQ(rejected(mint({{"sign", "other-key"}})), Reason::bad_signature);
}

TEST_F(DeviceAuth, AttackRightSignatureWrongIssuer) {
  EXPECT_EQ(rejected(mint({{"claims", {{"iss", "http://127.0.0.1:1/realms/iot"}}}})),
            Reason::wrong_issuer);
}

TEST_F(DeviceAuth, AttackRightSignatureWrongAudience) {
  // A real token of a client without the audience scope: aud is only "account".
  kc.control("patch-client",
             {{"client_id", client_of(a)}, {"remove_default_scope", "iot-device-audience"}});
  EXPECT_EQ(rejected(token_of(a)), Reason::wrong_audience);
}

TEST_F(DeviceAuth, AttackExpiredToken) {
  const std::string token = token_of(a);
  ASSERT_TRUE(bearer(token));
  const auto claims = nlohmann::json::parse(
      *core::base64url_decode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1)));
  clock.set(claims["exp"].get<std::int64_t>() + 29);
  EXPECT_TRUE(bearer(token)) << "within the skew";
  clock.advance(1);
  EXPECT_EQ(rejected(token), Reason::expired) << "not even from the cache";
  EXPECT_EQ(rejected(mint({{"claims", {{"exp", clock.seconds() - 31}}}})), Reason::expired);
}

TEST_F(DeviceAuth, AttackNotYetValid) {
  EXPECT_EQ(rejected(mint({{"claims", {{"nbf", clock.seconds() + 3600}}}})), Reason::not_yet_valid);
}

TEST_F(DeviceAuth, AttackIssuedInTheFuture) {
  EXPECT_EQ(rejected(mint(
                {{"claims", {{"iat", clock.seconds() + 3600}, {"exp", clock.seconds() + 4000}}}})),
            Reason::issued_in_future);
}

TEST_F(DeviceAuth, AttackAnIdTokenInsteadOfAnAccessToken) {
  EXPECT_EQ(rejected(mint({{"claims", {{"typ", "ID"}}}})), Reason::wrong_token_type);
}

TEST_F(DeviceAuth, AttackTokenOfAnInactiveDevice) {
  const std::string token = token_of(a);
  ASSERT_TRUE(bearer(token));
  fleet::set_device_active(session, a, false).take();
  EXPECT_EQ(rejected(token), Reason::inactive_device);
}

TEST_F(DeviceAuth, AttackTokenOfADeletedDevice) {
  const std::string token = token_of(a);  // still within its lifetime after the deletion
  ASSERT_TRUE(bearer(token));
  fleet::ProviderFor providers = [&](const std::string&) -> idp::IdentityProvider& {
    return provider;
  };
  ASSERT_TRUE(fleet::delete_device(session, a, providers));
  EXPECT_EQ(rejected(token), Reason::unknown_device);
}

TEST_F(DeviceAuth, AttackTokenOfDeviceAForDeviceBsResources) {
  ASSERT_TRUE(bearer(token_of(a), a));
  EXPECT_EQ(rejected(token_of(a), b), Reason::device_mismatch);
}

TEST_F(DeviceAuth, AttackTokenClaimingAnotherModel) {
  const std::string id = client_of(a, "other");
  EXPECT_EQ(rejected(mint({{"client_id", id},
                           {"claims", {{"azp", id}, {"client_id", id}, {"aud", "iot-api"}}}})),
            Reason::wrong_model);
}

TEST_F(DeviceAuth, AttackAzpAndClientIdDisagree) {
  EXPECT_EQ(rejected(mint({{"claims", {{"client_id", client_of(b)}}}}), b),
            Reason::not_a_device_client);
}

TEST_F(DeviceAuth, AttackTheAdminClientsToken) {
  const std::string admin =
      kc.device_token(KeycloakStandin::kAdminClientId, KeycloakStandin::kAdminClientSecret);
  // Its audience is not the endpoint's: refused there already; with it, refused as no device.
  EXPECT_EQ(rejected(admin), Reason::wrong_audience);
  EXPECT_EQ(rejected(mint({{"client_id", KeycloakStandin::kAdminClientId},
                           {"claims", {{"aud", "iot-api"}}}})),
            Reason::not_a_device_client);
}

TEST_F(DeviceAuth, AttackAKeycloakTokenForALocalDevice) {
  const std::string id = client_of(local);
  EXPECT_EQ(rejected(mint({{"client_id", id}, {"claims", {{"aud", "iot-api"}}}})),
            Reason::wrong_identity_kind);
}

TEST_F(DeviceAuth, AttackMalformedAndTruncatedTokens) {
  const std::string token = token_of(a);
  EXPECT_EQ(rejected(token.substr(0, token.size() - 10)), Reason::bad_signature)
      << "cut inside the signature";
  EXPECT_EQ(rejected(token.substr(0, token.rfind('.'))), Reason::malformed_token)
      << "no signature segment";
  EXPECT_EQ(rejected(token.substr(0, token.find('.') + 20)), Reason::malformed_token)
      << "cut inside the payload";
  EXPECT_EQ(rejected(token + ".x"), Reason::malformed_token);
  EXPECT_EQ(rejected(token.substr(0, token.find('.'))), Reason::malformed_token);
  EXPECT_EQ(rejected("not-a-token"), Reason::malformed_token);
}

TEST_F(DeviceAuth, AttackOversizedToken) {
  const std::string big = mint({{"claims", {{"padding", std::string(9000, 'x')}}}});
  ASSERT_GT(big.size(), auth::kMaxTokenBytes);
  EXPECT_EQ(rejected(big), Reason::token_too_large);
}

TEST_F(DeviceAuth, AttackNonUtf8Token) {
  const std::string token = token_of(a);
  std::string raw = token;
  raw[5] = '\xc3';
  EXPECT_EQ(rejected(raw), Reason::malformed_token);
  // Valid base64url around a payload that is not UTF-8: refused before any key is used.
  const std::string bad_payload = core::base64url_encode(core::as_bytes("{\"azp\":\"\xff\xfe\"}"));
  EXPECT_EQ(
      rejected(token.substr(0, token.find('.') + 1) + bad_payload + token.substr(token.rfind('.'))),
      Reason::malformed_token);
}

TEST_F(DeviceAuth, AKeycloakThatCannotBeReachedMeansNoKeysNotAcceptance) {
  const std::string token = token_of(a);
  kc.stop();
  EXPECT_EQ(rejected(token), Reason::keys_unavailable);
}

TEST(DeviceAuthOverTls, KeysComeOverVerifiedTlsWithOIDC_CA_FILE) {
  TempDir dir;
  const auto [cert, key] = make_tls_certificate(dir.path().string());
  KeycloakStandin::Options o;
  o.tls_cert = cert;
  o.tls_key = key;
  KeycloakStandin tls(o);
  const std::string token =
      tls.mint({{"client_id", "iotdevice-env_sensor-k3x9a2b1"}, {"claims", {{"aud", "iot-api"}}}});
  auth::VerifierSettings s;
  s.issuer = tls.issuer();
  s.audience = "iot-api";
  for (const bool with_ca : {true, false}) {
    auto config = core::Config([&](const std::string& name) -> std::optional<std::string> {
      if (with_ca && name == "OIDC_CA_FILE") return cert;
      return std::nullopt;
    });
    auto keys = auth::make_jwks_cache(s, config);
    auth::TokenVerifier verifier(s, *keys);
    const auto r = verifier.verify(token);
    if (with_ca) {
      EXPECT_TRUE(r) << r.rejection().message;
    } else {
      ASSERT_FALSE(r);
      EXPECT_EQ(r.rejection().reason, Reason::keys_unavailable);
      EXPECT_NE(r.rejection().message.find("TLS certificate check failed"), std::string::npos)
          << r.rejection().message;
    }
  }
}

TEST_F(DeviceAuth, LocalSecretsOverBasic) {
  const auto header = [](const std::string& key, const std::string& secret) {
    return "Basic " + core::base64_encode(core::as_bytes(key + ":" + secret));
  };
  const auto ok = authenticator->authenticate(header(local, secrets[local]), local);
  ASSERT_TRUE(ok) << ok.rejection().message;
  EXPECT_EQ(ok->method, auth::Method::basic);
  const auto wrong = authenticator->authenticate(header(local, secrets[a]), local);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.rejection().reason, Reason::bad_secret);
  EXPECT_EQ(wrong.rejection().message.find(secrets[a]), std::string::npos);
  EXPECT_EQ(authenticator->authenticate(header(a, secrets[a]), a).rejection().reason,
            Reason::wrong_identity_kind)
      << "a Keycloak device's secret is for Keycloak, not for Basic";
  EXPECT_EQ(authenticator->authenticate(header(local, secrets[local]), a).rejection().reason,
            Reason::device_mismatch);
  fleet::set_device_active(session, local, false).take();
  EXPECT_EQ(authenticator->authenticate(header(local, secrets[local])).rejection().reason,
            Reason::inactive_device);
}

}  // namespace
}  // namespace iotfleet::test_support
