// The Keycloak provider against a scripted HttpClient: settings, the admin token's cache and
// refresh, and how failures become errors. The integration tests run it against the stand-in.
#include "idp/keycloak.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

namespace iotfleet::idp {
namespace {

const std::string kAdminSecret = "admin-s3cret-value";

struct Script {
  std::mutex m;
  std::deque<core::Result<HttpResponse>> answers;
  std::vector<HttpRequest> requests;
};

class ScriptedHttp final : public HttpClient {
 public:
  explicit ScriptedHttp(Script& s) : s_(s) {}
  core::Result<HttpResponse> send(const HttpRequest& r) override {
    std::lock_guard lock(s_.m);
    s_.requests.push_back(r);
    if (s_.answers.empty()) return HttpResponse{500, "{\"error\":\"script ran out\"}", {}};
    auto a = std::move(s_.answers.front());
    s_.answers.pop_front();
    return a;
  }

 private:
  Script& s_;
};

HttpResponse json(long status, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> h = {}) {
  return {status, body, std::move(h)};
}
HttpResponse token(const std::string& value, int expires_in = 300) {
  return json(200, R"({"access_token":")" + value + R"(","expires_in":)" +
                       std::to_string(expires_in) + "}");
}
const HttpResponse kScopes =
    json(200, R"([{"id":"s-1","name":"profile"},{"id":"s-2","name":"iot-device-audience"}])");

struct Provider : ::testing::Test {
  Script script;
  KeycloakSettings settings = [] {
    KeycloakSettings s;
    s.base_url = "https://kc.example.org";
    s.realm = "iot";
    s.admin_client_id = "iot-admin";
    s.admin_client_secret = kAdminSecret;
    s.concurrency = 1;
    return s;
  }();
  KeycloakProvider kc{
      settings, [this](const HttpOptions&) { return std::make_unique<ScriptedHttp>(script); }};

  void expect_no_secret(const core::Error& e) {
    EXPECT_EQ(e.message.find(kAdminSecret), std::string::npos) << e.message;
    EXPECT_EQ(e.hint.find(kAdminSecret), std::string::npos) << e.hint;
  }
};

TEST_F(Provider, CachesTheAdminTokenAcrossCalls) {
  script.answers = {token("t1"), json(200, "[]"), json(200, "[]")};
  EXPECT_FALSE(*kc.exists("iotdevice-m-aaaaaaaa"));
  EXPECT_FALSE(*kc.exists("iotdevice-m-bbbbbbbb"));
  ASSERT_EQ(script.requests.size(), 3u);
  EXPECT_EQ(script.requests[0].url,
            "https://kc.example.org/realms/iot/protocol/openid-connect/token");
  EXPECT_NE(script.requests[0].body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_EQ(script.requests[1].url,
            "https://kc.example.org/admin/realms/iot/clients?clientId=iotdevice-m-aaaaaaaa");
  EXPECT_EQ(script.requests[2].headers[0], "Authorization: Bearer t1");
}

TEST_F(Provider, A401FetchesANewTokenAndRetriesOnce) {
  script.answers = {token("t1"), json(401, R"({"error":"HTTP 401 Unauthorized"})"), token("t2"),
                    json(200, "[]")};
  EXPECT_FALSE(*kc.exists("iotdevice-m-aaaaaaaa"));
  ASSERT_EQ(script.requests.size(), 4u);
  EXPECT_EQ(script.requests[3].headers[0], "Authorization: Bearer t2");
}

TEST_F(Provider, TwoConsecutive401sAreAFailureNotALoop) {
  script.answers = {token("t1"), json(401, "{}"), token("t2"), json(401, "{}")};
  const auto r = kc.exists("iotdevice-m-aaaaaaaa");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::failure);
  EXPECT_NE(r.error().message.find("401"), std::string::npos);
  EXPECT_EQ(script.requests.size(), 4u);
  expect_no_secret(r.error());
}

TEST_F(Provider, UnreachableAnd5xxAreUnavailableNamingKeycloak) {
  script.answers = {core::Error::unavailable("Connection refused")};
  auto r = kc.check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("Keycloak at https://kc.example.org"), std::string::npos)
      << r.error().message;
  expect_no_secret(r.error());

  script.answers = {token("t1"), json(503, "")};
  r = kc.check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::unavailable);
  EXPECT_NE(r.error().message.find("Keycloak answered 503"), std::string::npos)
      << r.error().message;
}

TEST_F(Provider, RefusedAdminCredentialsSayWhichSettingsToCheck) {
  script.answers = {json(
      401,
      R"({"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"})")};
  const auto r = kc.check();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, core::ErrorKind::failure);
  EXPECT_NE(r.error().message.find("Invalid client or Invalid client credentials"),
            std::string::npos);
  EXPECT_NE(r.error().hint.find("KEYCLOAK_ADMIN_CLIENT_SECRET"), std::string::npos);
  expect_no_secret(r.error());
}

TEST_F(Provider, ARealmWithoutTheDeviceScopeIsRefusedBeforeAnyChange) {
  script.answers = {
      token("t1"),
      json(200, R"([{"id":"s-1","name":"profile"},{"id":7,"name":"iot-device-audience"}])")};
  const auto r = kc.create({"iotdevice-m-aaaaaaaa", "n", "d", "secret"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no client scope 'iot-device-audience'"), std::string::npos);
  EXPECT_EQ(script.requests.size(), 2u) << "no POST";
}

TEST_F(Provider, CreatePostsTheClientThenAttachesTheScope) {
  script.answers = {
      token("t1"), kScopes,
      json(201, "", {{"location", "https://kc.example.org/admin/realms/iot/clients/u-1"}}),
      json(204, "")};
  const auto r = kc.create({"iotdevice-m-aaaaaaaa", "hall-1", "IoT device", "the-secret"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcome, Outcome::created);
  const auto body = nlohmann::json::parse(script.requests[2].body);
  EXPECT_EQ(body["clientId"], "iotdevice-m-aaaaaaaa");
  EXPECT_EQ(body["secret"], "the-secret");
  EXPECT_EQ(body["serviceAccountsEnabled"], true);
  EXPECT_EQ(body["publicClient"], false);
  EXPECT_EQ(body["standardFlowEnabled"], false);
  EXPECT_EQ(body["directAccessGrantsEnabled"], false);
  EXPECT_EQ(script.requests[3].method, "PUT");
  EXPECT_EQ(script.requests[3].url,
            "https://kc.example.org/admin/realms/iot/clients/u-1/default-client-scopes/s-2");
}

TEST_F(Provider, ACreatedClientWhoseScopeCannotBeAttachedIsDeletedAgain) {
  script.answers = {
      token("t1"), kScopes,
      json(201, "", {{"location", "https://kc.example.org/admin/realms/iot/clients/u-1"}}),
      json(404, R"({"error":"Could not find client scope"})"), json(204, "")};
  const auto r = kc.create({"iotdevice-m-aaaaaaaa", "n", "d", "the-secret"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Could not find client scope"), std::string::npos);
  EXPECT_EQ(script.requests.back().method, "DELETE");
  EXPECT_EQ(r.error().message.find("the-secret"), std::string::npos);
}

TEST(KeycloakSettings, LoadsFlagsOverEnvironmentAndNeverTheSecretFromAFlag) {
  std::map<std::string, std::string> env{{"KEYCLOAK_BASE_URL", "https://kc.example.org/"},
                                         {"KEYCLOAK_REALM", "iot"},
                                         {"KEYCLOAK_ADMIN_CLIENT_ID", "iot-admin"},
                                         {"KEYCLOAK_ADMIN_CLIENT_SECRET", kAdminSecret}};
  auto lookup = [&](const std::string& n) -> std::optional<std::string> {
    const auto it = env.find(n);
    return it == env.end() ? std::nullopt : std::optional(it->second);
  };
  KeycloakFlags flags;
  flags.base_path = "auth/";
  flags.realm = "other";
  auto s = KeycloakSettings::load(core::Config(lookup), flags);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->base_url, "https://kc.example.org/auth");
  EXPECT_EQ(s->realm_url(), "https://kc.example.org/auth/realms/other");
  EXPECT_EQ(s->admin_url(), "https://kc.example.org/auth/admin/realms/other");
  EXPECT_EQ(s->device_scope, "iot-device-audience");
  EXPECT_EQ(s->concurrency, 8u);
  EXPECT_EQ(s->http.timeout, std::chrono::seconds(10));

  env.erase("KEYCLOAK_ADMIN_CLIENT_SECRET");
  auto missing = KeycloakSettings::load(core::Config(lookup));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, core::ErrorKind::usage);
  EXPECT_EQ(missing.error().message, "missing setting: set KEYCLOAK_ADMIN_CLIENT_SECRET");
  env["KEYCLOAK_ADMIN_CLIENT_SECRET"] = kAdminSecret;

  for (const auto& [name, value] :
       std::map<std::string, std::string>{{"KEYCLOAK_TIMEOUT_SECONDS", "0"},
                                          {"KEYCLOAK_CONCURRENCY", "many"},
                                          {"KEYCLOAK_BASE_URL", "kc.example.org"}}) {
    auto saved = env;
    env[name] = value;
    const auto r = KeycloakSettings::load(core::Config(lookup));
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().kind, core::ErrorKind::usage);
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
    env = saved;
  }
}

}  // namespace
}  // namespace iotfleet::idp
