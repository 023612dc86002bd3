#include "auth/verifier.hpp"

#include <gtest/gtest.h>

#include "support/auth_printers.hpp"

#include "support/manual_clock.hpp"
#include "support/token_factory.hpp"

namespace iotfleet::auth {
namespace {

using test_support::b64_json;
using test_support::make_key;
using test_support::sign_token;

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kIssuer = "https://kc.example.org/realms/iot";
const std::string kClient = "iotdevice-env_sensor-k3x9a2b1";

struct Verifier : ::testing::Test {
  test_support::ManualClock clock{kNow};
  test_support::TestKey rs = make_key("RS256", "rs"), es = make_key("ES256", "es"),
                        ps = make_key("PS256", "ps");
  JwksCache keys{[this]() -> core::Result<std::string> {
                   return test_support::jwks_of({&rs, &es, &ps});
                 },
                 clock};
  VerifierSettings settings = [] {
    VerifierSettings s;
    s.issuer = kIssuer;
    s.audience = "iot-api";
    s.algorithms = {"RS256", "ES256", "PS256"};
    return s;
  }();
  std::unique_ptr<TokenVerifier> v = std::make_unique<TokenVerifier>(settings, keys, clock);

  // The claims of a Keycloak 21.1+ service-account access token.
  nlohmann::json claims() const {
    return {{"exp", kNow + 300},
            {"iat", kNow},
            {"jti", "5e1b"},
            {"iss", kIssuer},
            {"aud", {"iot-api", "account"}},
            {"sub", "f3c1"},
            {"typ", "Bearer"},
            {"azp", kClient},
            {"scope", "profile email"},
            {"preferred_username", "service-account-" + kClient},
            {"client_id", kClient}};
  }
  nlohmann::json claims_with(const nlohmann::json& changes) const {
    auto c = claims();
    for (auto it = changes.begin(); it != changes.end(); ++it) {
      if (it.value().is_null())
        c.erase(it.key());
      else
        c[it.key()] = it.value();
    }
    return c;
  }
  Reason rejected(const std::string& token) {
    const auto r = v->verify(token);
    EXPECT_FALSE(r) << "accepted";
    if (r) return Reason::missing_credentials;
    EXPECT_EQ(r.rejection().message.find(token), std::string::npos)
        << "the message repeats the token";
    return r.rejection().reason;
  }
};

TEST_F(Verifier, AcceptsAKeycloakAccessTokenForEachAllowedAlgorithm) {
  for (const auto* key : {&rs, &es, &ps}) {
    const auto r = v->verify(sign_token(*key, claims()));
    ASSERT_TRUE(r) << key->alg << ": " << r.rejection().message;
    EXPECT_EQ(r->client_id, kClient);
    EXPECT_EQ(r->model_code, "env_sensor");
    EXPECT_EQ(r->device_key, "k3x9a2b1");
    EXPECT_EQ(r->subject, "f3c1");
    EXPECT_EQ(r->issued_at, kNow);
    EXPECT_EQ(r->expires_at, kNow + 300);
  }
}

TEST_F(Verifier, RejectsAlgNoneInAnyCase) {
  for (const char* none : {"none", "None", "NONE"})
    EXPECT_EQ(rejected(b64_json({{"alg", none}, {"kid", "rs"}}) + "." + b64_json(claims()) + "."),
              Reason::alg_none);
}

TEST_F(Verifier, RejectsHmacAlgorithms) {
  for (const char* alg : {"HS256", "HS384", "HS512"})
    EXPECT_EQ(
        rejected(b64_json({{"alg", alg}, {"kid", "rs"}}) + "." + b64_json(claims()) + ".c2ln"),
        Reason::alg_hmac);
}

TEST_F(Verifier, RejectsAlgorithmsOutsideTheAllowList) {
  settings.algorithms = {"RS256"};
  v = std::make_unique<TokenVerifier>(settings, keys, clock);
  EXPECT_EQ(rejected(sign_token(es, claims())), Reason::alg_not_allowed);
  EXPECT_EQ(
      rejected(b64_json({{"alg", "EdDSA"}, {"kid", "rs"}}) + "." + b64_json(claims()) + ".c2ln"),
      Reason::alg_not_allowed);
}

TEST_F(Verifier, RejectsMissingAndUnknownKids) {
  EXPECT_EQ(rejected(sign_token(rs, claims(), {{"kid", nullptr}})), Reason::missing_kid);
  EXPECT_EQ(rejected(sign_token(rs, claims(), {{"kid", "nobody"}})), Reason::unknown_kid);
}

TEST_F(Verifier, RejectsASignatureOverOtherBytes) {
  const std::string good = sign_token(rs, claims());
  const std::string forged_claims = b64_json(claims_with(
      {{"azp", "iotdevice-env_sensor-aaaaaaaa"}, {"client_id", "iotdevice-env_sensor-aaaaaaaa"}}));
  const auto d1 = good.find('.'), d2 = good.rfind('.');
  EXPECT_EQ(rejected(good.substr(0, d1 + 1) + forged_claims + good.substr(d2)),
            Reason::bad_signature);
}

TEST_F(Verifier, RejectsAKidOfAKeyOfAnotherType) {
  EXPECT_EQ(rejected(sign_token(rs, claims(), {{"kid", "es"}})), Reason::bad_signature);
}

TEST_F(Verifier, RejectsWrongIssuerAndAudienceDespiteAGoodSignature) {
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"iss", kIssuer + "x"}}))), Reason::wrong_issuer);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"iss", nullptr}}))), Reason::wrong_issuer);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"aud", "account"}}))), Reason::wrong_audience);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"aud", {"account", "iot-api-x"}}}))),
            Reason::wrong_audience);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"aud", nullptr}}))), Reason::wrong_audience);
  EXPECT_TRUE(v->verify(sign_token(rs, claims_with({{"aud", "iot-api"}}))));
}

TEST_F(Verifier, AppliesTheClockSkewToExpNbfAndIat) {
  EXPECT_TRUE(v->verify(sign_token(rs, claims_with({{"exp", kNow - 29}}))));
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"exp", kNow - 30}}))), Reason::expired);
  EXPECT_TRUE(v->verify(sign_token(rs, claims_with({{"nbf", kNow + 30}}))));
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"nbf", kNow + 31}}))), Reason::not_yet_valid);
  EXPECT_TRUE(v->verify(sign_token(rs, claims_with({{"iat", kNow + 30}}))));
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"iat", kNow + 31}}))), Reason::issued_in_future);
}

TEST_F(Verifier, RequiresNumericExpAndIat) {
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"exp", nullptr}}))), Reason::missing_claim);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"iat", nullptr}}))), Reason::missing_claim);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"exp", "1900000000"}}))), Reason::missing_claim);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"exp", 1e300}}))), Reason::missing_claim);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"exp", -1}}))), Reason::missing_claim);
  EXPECT_TRUE(v->verify(sign_token(rs, claims_with({{"exp", kNow + 10.5}}))));
}

TEST_F(Verifier, RejectsTokensThatAreNotAccessTokens) {
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"typ", "ID"}}))), Reason::wrong_token_type);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"typ", "Refresh"}}))), Reason::wrong_token_type);
}

TEST_F(Verifier, TheClientMustBeADeviceClientNamedConsistently) {
  // Keycloak before 21.1 says clientId; the verifier takes either, or azp alone.
  EXPECT_TRUE(
      v->verify(sign_token(rs, claims_with({{"client_id", nullptr}, {"clientId", kClient}}))));
  EXPECT_TRUE(v->verify(sign_token(rs, claims_with({{"client_id", nullptr}}))));
  EXPECT_TRUE(v->verify(sign_token(rs, claims_with({{"azp", nullptr}}))));
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"azp", nullptr}, {"client_id", nullptr}}))),
            Reason::missing_claim);
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"client_id", "iotdevice-env_sensor-aaaaaaaa"}}))),
            Reason::not_a_device_client);
  for (const char* id :
       {"iot-admin", "iotdevice-env_sensor-K3X9A2B1", "iotdevice-env_sensor-k3x9a2b",
        "iotdevice--k3x9a2b1", "iotdevice-env-sensor-k3x9a2b1x", " iotdevice-env_sensor-k3x9a2b1"})
    EXPECT_EQ(rejected(sign_token(rs, claims_with({{"azp", id}, {"client_id", id}}))),
              Reason::not_a_device_client)
        << id;
  EXPECT_EQ(rejected(sign_token(rs, claims_with({{"azp", 5}}))), Reason::not_a_device_client);
}

TEST_F(Verifier, CachesVerifiedTokensUntilTheyExpire) {
  const std::string token = sign_token(rs, claims());
  ASSERT_TRUE(v->verify(token));
  ASSERT_TRUE(v->verify(token));
  EXPECT_EQ(v->cache_hits(), 1u);
  clock.advance(300 + 30);
  EXPECT_EQ(rejected(token), Reason::expired) << "a cached token does not outlive its exp";
  EXPECT_EQ(v->cache_hits(), 1u);
}

TEST_F(Verifier, TheCacheNeverAcceptsWhatWasRejected) {
  const std::string bad = sign_token(rs, claims_with({{"aud", "account"}}));
  EXPECT_EQ(rejected(bad), Reason::wrong_audience);
  EXPECT_EQ(rejected(bad), Reason::wrong_audience);
  EXPECT_EQ(v->cache_hits(), 0u);
}

TEST_F(Verifier, TheCacheCanBeTurnedOffAndStaysBounded) {
  settings.cache_entries = 0;
  v = std::make_unique<TokenVerifier>(settings, keys, clock);
  const std::string token = sign_token(rs, claims());
  ASSERT_TRUE(v->verify(token));
  ASSERT_TRUE(v->verify(token));
  EXPECT_EQ(v->cache_hits(), 0u);

  settings.cache_entries = 2;
  v = std::make_unique<TokenVerifier>(settings, keys, clock);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(v->verify(sign_token(rs, claims_with({{"jti", std::to_string(i)}}))));
  ASSERT_TRUE(v->verify(token));
  ASSERT_TRUE(v->verify(token));
  EXPECT_EQ(v->cache_hits(), 1u);
}

TEST(VerifierSettings, LoadsFromTheEnvironmentAndRefusesUnsafeAlgorithms) {
  std::map<std::string, std::string> env{{"OIDC_ISSUER_URL", kIssuer + "/"},
                                         {"OIDC_AUDIENCE", "iot-api"}};
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    const auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional(it->second);
  };
  const auto s = VerifierSettings::load(core::Config(lookup));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->issuer, kIssuer);
  EXPECT_EQ(s->clock_skew, 30);
  EXPECT_EQ(s->algorithms, (std::set<std::string, std::less<>>{"RS256"}));

  env["OIDC_ALLOWED_ALGS"] = "RS256, ES384,PS256";
  EXPECT_EQ(VerifierSettings::load(core::Config(lookup))->algorithms.size(), 3u);
  for (const char* bad : {"HS256", "none", "RS256,", "rs256"}) {
    env["OIDC_ALLOWED_ALGS"] = bad;
    const auto r = VerifierSettings::load(core::Config(lookup));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, core::ErrorKind::usage);
  }
  env.erase("OIDC_ALLOWED_ALGS");
  env["OIDC_CLOCK_SKEW_SECONDS"] = "-1";
  EXPECT_FALSE(VerifierSettings::load(core::Config(lookup)));
  env.erase("OIDC_CLOCK_SKEW_SECONDS");
  env.erase("OIDC_AUDIENCE");
  const auto missing = VerifierSettings::load(core::Config(lookup));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("OIDC_AUDIENCE"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::auth
