// The Keycloak provider against the stand-in: every admin call of specs/keycloak.md, the admin
// token's cache and refresh, and each way Keycloak can fail.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "idp/keycloak.hpp"
#include "support/keycloak_standin.hpp"

namespace iotfleet::test_support {
namespace {

using idp::IdentitySpec;
using idp::KeycloakProvider;
using idp::KeycloakSettings;
using idp::Outcome;

const std::string kClient = "iotdevice-env_sensor-k3x9a2b1";

KeycloakSettings settings_for(const KeycloakStandin& kc) {
  KeycloakSettings s;
  s.base_url = kc.url() + kc.options().base_path;
  s.realm = kc.options().realm;
  s.admin_client_id = KeycloakStandin::kAdminClientId;
  s.admin_client_secret = KeycloakStandin::kAdminClientSecret;
  s.http.timeout = std::chrono::seconds(5);
  s.concurrency = 8;
  return s;
}

IdentitySpec spec(const std::string& client_id = kClient,
                  const std::string& secret = "s3cret-of-the-device-0001") {
  return {client_id, "hall-1", "IoT device of model env_sensor", secret};
}

void expect_no_secret(const core::Error& e, const std::string& secret) {
  for (const auto& s : {secret, std::string(KeycloakStandin::kAdminClientSecret)}) {
    EXPECT_EQ(e.message.find(s), std::string::npos) << e.message;
    EXPECT_EQ(e.hint.find(s), std::string::npos) << e.hint;
  }
}

struct KeycloakProviderTest : ::testing::Test {
  KeycloakStandin kc;
  std::unique_ptr<KeycloakProvider> provider = std::make_unique<KeycloakProvider>(settings_for(kc));
};

TEST_F(KeycloakProviderTest, CreateMakesAConfidentialServiceAccountClientWithTheAudienceScope) {
  const auto r = provider->create(spec());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, Outcome::created);
  const auto c = kc.client(kClient);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)["name"], "hall-1");
  EXPECT_EQ((*c)["description"], "IoT device of model env_sensor");
  EXPECT_EQ((*c)["secret"], spec().secret);
  EXPECT_EQ((*c)["enabled"], true);
  EXPECT_EQ((*c)["publicClient"], false);
  EXPECT_EQ((*c)["serviceAccountsEnabled"], true);
  EXPECT_EQ((*c)["standardFlowEnabled"], false);
  EXPECT_EQ((*c)["directAccessGrantsEnabled"], false);
  const auto scopes = (*c)["defaultClientScopes"];
  EXPECT_NE(std::find(scopes.begin(), scopes.end(), "iot-device-audience"), scopes.end());
  // What the scope is for: the device's tokens carry the endpoint's audience.
  const auto [status, token] = kc.request_token(kClient, spec().secret);
  ASSERT_EQ(status, 200) << token.dump();
  EXPECT_TRUE(provider->exists(kClient).value());
}

TEST_F(KeycloakProviderTest, CreatingAnExistingClientAdoptsItAndIsIdempotent) {
  ASSERT_TRUE(provider->create(spec()));
  auto again = provider->create(spec());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outcome, Outcome::unchanged);
  EXPECT_EQ(kc.device_client_count(), 1u);

  // Left behind by a crashed run with another secret and edited by hand: adopted and repaired.
  kc.control("patch-client",
             {{"client_id", kClient},
              {"set", {{"secret", "changed"}, {"serviceAccountsEnabled", false}, {"name", "x"}}},
              {"remove_default_scope", "iot-device-audience"}});
  again = provider->create(spec());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->outcome, Outcome::repaired);
  EXPECT_EQ(again->changes, (std::vector<std::string>{"serviceAccountsEnabled", "name", "secret",
                                                      "default scope 'iot-device-audience'"}));
  const auto c = kc.client(kClient);
  EXPECT_EQ((*c)["secret"], spec().secret);
  EXPECT_EQ((*c)["serviceAccountsEnabled"], true);
  EXPECT_EQ(kc.request_token(kClient, spec().secret).first, 200);
}

TEST_F(KeycloakProviderTest, ReadSetAndRegenerateTheSecret) {
  ASSERT_TRUE(provider->create(spec()));
  EXPECT_EQ(provider->read_secret(kClient).value(), spec().secret);

  ASSERT_TRUE(provider->set_secret(kClient, "a-new-secret-chosen-by-the-toolkit"));
  EXPECT_EQ(provider->read_secret(kClient).value(), "a-new-secret-chosen-by-the-toolkit");
  EXPECT_EQ(kc.request_token(kClient, spec().secret).first, 401)
      << "the old secret stops working at once";
  EXPECT_EQ(kc.request_token(kClient, "a-new-secret-chosen-by-the-toolkit").first, 200);

  auto regenerated = provider->regenerate(kClient);
  ASSERT_TRUE(regenerated);
  EXPECT_NE(*regenerated, "a-new-secret-chosen-by-the-toolkit");
  EXPECT_EQ(kc.request_token(kClient, *regenerated).first, 200);

  const auto missing = provider->read_secret("iotdevice-env_sensor-zzzzzzzz");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, core::ErrorKind::not_found);
  EXPECT_EQ(provider->set_secret("iotdevice-env_sensor-zzzzzzzz", "x").error().kind,
            core::ErrorKind::not_found);
}

TEST_F(KeycloakProviderTest, DeleteRemovesTheClientAndAMissingOneIsSuccess) {
  ASSERT_TRUE(provider->create(spec()));
  EXPECT_TRUE(provider->remove(kClient).value());
  EXPECT_FALSE(kc.client(kClient));
  EXPECT_FALSE(provider->exists(kClient).value());
  auto again = provider->remove(kClient);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(*again);
}

TEST_F(KeycloakProviderTest, AStaleCachedUuidIsLookedUpAgain) {
  ASSERT_TRUE(provider->create(spec()));
  // Deleted and re-created behind the provider's back: its cached UUID now answers 404.
  kc.control("patch-client", {{"client_id", kClient}, {"delete", true}});
  KeycloakProvider other(settings_for(kc));
  ASSERT_TRUE(other.create(spec()));
  EXPECT_EQ(provider->read_secret(kClient).value(), spec().secret);
  EXPECT_TRUE(provider->remove(kClient).value());
}

TEST_F(KeycloakProviderTest, InspectListsWhatDiffersWithoutValues) {
  ASSERT_TRUE(provider->create(spec()));
  auto check = provider->inspect(spec());
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->consistent());

  kc.control("patch-client", {{"client_id", kClient},
                              {"set", {{"secret", "changed"}, {"directAccessGrantsEnabled", true}}},
                              {"remove_default_scope", "iot-device-audience"}});
  check = provider->inspect(spec());
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->exists);
  EXPECT_FALSE(check->consistent());
  EXPECT_EQ(check->problems.size(), 3u);
  for (const auto& p : check->problems) {
    EXPECT_EQ(p.find("changed"), std::string::npos) << p;
    EXPECT_EQ(p.find(spec().secret), std::string::npos) << p;
  }
  EXPECT_EQ(kc.client(kClient).value()["secret"], "changed") << "inspect changes nothing";
  EXPECT_FALSE(provider->inspect(spec("iotdevice-env_sensor-zzzzzzzz"))->exists);
}

TEST_F(KeycloakProviderTest, TheAdminTokenIsCachedAndRefreshedOnceOn401) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(provider->exists(kClient));
  EXPECT_EQ(kc.counter("admin_tokens_issued"), 1);

  kc.control("expire-admin-tokens");
  ASSERT_TRUE(provider->create(spec())) << "a 401 fetches a new token and retries";
  EXPECT_EQ(kc.counter("admin_tokens_issued"), 2);
  EXPECT_EQ(kc.counter("admin_401"), 1);
}

TEST_F(KeycloakProviderTest, TheAdminTokenIsRenewedShortlyBeforeItExpires) {
  kc.control("config", {{"admin_token_lifespan", 2}});  // used for 1 s, then renewed
  ASSERT_TRUE(provider->exists(kClient));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE(provider->exists(kClient));
  EXPECT_EQ(kc.counter("admin_tokens_issued"), 2);
  EXPECT_EQ(kc.counter("admin_401"), 0) << "renewed before Keycloak refused it";
}

TEST_F(KeycloakProviderTest, AWrongAdminSecretIsAFailureNamingTheSettings) {
  auto s = settings_for(kc);
  s.admin_client_secret = "wrong-admin-secret";
  KeycloakProvider wrong(s);
  const auto r = wrong.create(spec());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::failure);
  EXPECT_NE(r.error().message.find("Keycloak refused the admin client 'iot-admin' (401"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().hint.find("KEYCLOAK_ADMIN_CLIENT_SECRET"), std::string::npos);
  EXPECT_EQ(r.error().message.find("wrong-admin-secret"), std::string::npos);
  EXPECT_EQ(kc.device_client_count(), 0u);
}

TEST_F(KeycloakProviderTest, AFailingKeycloakIsUnavailableWithItsStatus) {
  kc.control("faults", {{"status", 503}, {"where", "admin"}});
  const auto r = provider->create(spec());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("Keycloak answered 503"), std::string::npos)
      << r.error().message;
  expect_no_secret(r.error(), spec().secret);
}

TEST_F(KeycloakProviderTest, AnUnreachableKeycloakIsUnavailableNamingIt) {
  kc.stop();
  const auto r = provider->create(spec());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("Keycloak at " + kc.url() + " is unavailable"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().hint.find("retry is safe"), std::string::npos);
  expect_no_secret(r.error(), spec().secret);
}

TEST_F(KeycloakProviderTest, ADroppedConnectionIsUnavailable) {
  ASSERT_TRUE(provider->exists(kClient));
  kc.control("faults", {{"where", "admin"}, {"mode", "close"}, {"count", 2}});
  const auto r = provider->exists(kClient);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::unavailable);
}

TEST_F(KeycloakProviderTest, ASlowKeycloakTimesOutAsUnavailable) {
  auto s = settings_for(kc);
  s.http.timeout = std::chrono::seconds(1);
  KeycloakProvider impatient(s);
  kc.control("delay", {{"seconds", 3}, {"where", "admin"}, {"count", 1}});
  const auto start = std::chrono::steady_clock::now();
  const auto r = impatient.create(spec());
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
  EXPECT_EQ(r.error().kind, core::ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
}

TEST_F(KeycloakProviderTest, ARealmWithoutTheDeviceScopeCreatesNothing) {
  KeycloakStandin::Options o;
  o.device_scope = "";
  KeycloakStandin bare(o);
  KeycloakProvider p(settings_for(bare));
  const auto r = p.create(spec());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no client scope 'iot-device-audience'"), std::string::npos);
  EXPECT_NE(r.error().hint.find("KEYCLOAK_DEVICE_SCOPE"), std::string::npos);
  EXPECT_EQ(bare.device_client_count(), 0u);
}

TEST_F(KeycloakProviderTest, CreateManyOverlapsItsRequests) {
  kc.control("delay", {{"seconds", 0.05}, {"where", "admin"}});
  std::vector<IdentitySpec> specs;
  for (int i = 0; i < 40; ++i) {
    char key[9];
    std::snprintf(key, sizeof key, "dev%05d", i);
    specs.push_back(spec(std::string("iotdevice-env_sensor-") + key));
  }
  std::size_t last = 0;
  const auto results = provider->create_many(specs, [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 40u);
    last = done;
  });
  for (const auto& r : results) ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(last, 40u);
  EXPECT_EQ(kc.device_client_count(), 40u);
  EXPECT_GE(kc.counter("max_in_flight"), 4) << "up to KEYCLOAK_CONCURRENCY requests at once";
  EXPECT_EQ(kc.counter("admin_tokens_issued"), 1) << "one token shared by the workers";

  const auto removed = provider->remove_many([&] {
    std::vector<std::string> ids;
    for (const auto& s : specs) ids.push_back(s.client_id);
    return ids;
  }());
  for (const auto& r : removed) EXPECT_TRUE(r && r.value());
  EXPECT_EQ(kc.device_client_count(), 0u);
}

TEST_F(KeycloakProviderTest, CreateManyStopsAfterTheFirstFailure) {
  kc.control("faults", {{"status", 500}, {"where", "admin"}, {"after", 12}, {"count", 1}});
  std::vector<IdentitySpec> specs;
  for (int i = 0; i < 200; ++i) {
    char key[9];
    std::snprintf(key, sizeof key, "dev%05d", i);
    specs.push_back(spec(std::string("iotdevice-env_sensor-") + key));
  }
  const auto results = provider->create_many(specs);
  std::size_t ok = 0, skipped = 0;
  std::optional<core::Error> first;
  for (const auto& r : results) {
    if (r.ok())
      ++ok;
    else if (r.error().message.starts_with("not attempted"))
      ++skipped;
    else if (!first)
      first = r.error();
  }
  ASSERT_TRUE(first);
  EXPECT_NE(first->message.find("Keycloak answered 500"), std::string::npos) << first->message;
  EXPECT_GT(ok, 0u);
  // Items already in flight finish; everything after them is not attempted.
  EXPECT_GT(skipped, 0u);
  EXPECT_EQ(ok + skipped + 1, specs.size());
}

TEST(KeycloakBeforeVersion17, NeedsTheAuthBasePath) {
  KeycloakStandin::Options o;
  o.base_path = "/auth";
  KeycloakStandin old(o);
  KeycloakProvider with_path(settings_for(old));
  ASSERT_TRUE(with_path.create(spec())) << "with KEYCLOAK_BASE_PATH=/auth";

  auto s = settings_for(old);
  s.base_url = old.url();
  KeycloakProvider without(s);
  const auto r = without.check();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("has no realm 'iot' (404)"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().hint.find("KEYCLOAK_BASE_PATH=/auth"), std::string::npos);
}

TEST(KeycloakOverTls, IsVerifiedAgainstKEYCLOAK_CA_FILE) {
  TempDir dir;
  const auto [cert, key] = make_tls_certificate(dir.path().string());
  KeycloakStandin::Options o;
  o.tls_cert = cert;
  o.tls_key = key;
  KeycloakStandin tls(o);

  auto s = settings_for(tls);
  s.http.ca_file = cert;
  KeycloakProvider trusted(s);
  ASSERT_TRUE(trusted.create(spec())) << "verified with the private CA";

  s.http.ca_file.clear();
  KeycloakProvider untrusted(s);
  const auto r = untrusted.check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::failure) << "not retryable: a certificate problem";
  EXPECT_NE(r.error().message.find("TLS certificate check failed"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().hint.find("KEYCLOAK_CA_FILE"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::test_support
