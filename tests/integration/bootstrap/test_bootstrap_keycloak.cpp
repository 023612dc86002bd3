// iot-bootstrap-org keycloak against the Keycloak stand-in: a realm without the toolkit's objects
// gets them; a second run changes nothing; what an administrator broke is repaired, and only that.
#include <gtest/gtest.h>

#include "support/keycloak_standin.hpp"
#include "test_support/process.hpp"

namespace iotfleet {
namespace {

using nlohmann::json;
using test_support::KeycloakStandin;
using test_support::RunResult;

test_support::RunOptions with_env(std::map<std::string, std::string> env,
                                  std::vector<std::string> unset = {}) {
  test_support::RunOptions o;
  o.env = std::move(env);
  o.unset = std::move(unset);
  return o;
}

constexpr const char* kAdminClient = "iot-toolkit-admin";
constexpr const char* kAdminSecret = "toolkit-admin-secret-for-tests";

KeycloakStandin::Options bare_realm() {
  KeycloakStandin::Options o;
  o.device_scope = "";  // a realm without the device scope
  return o;
}

class BootstrapKeycloak : public ::testing::Test {
 protected:
  BootstrapKeycloak() : kc(bare_realm()) {}

  std::map<std::string, std::string> env() const {
    return {{"KEYCLOAK_BASE_URL", kc.url()},
            {"KEYCLOAK_ADMIN_USERNAME", KeycloakStandin::kRealmAdminUser},
            {"KEYCLOAK_ADMIN_PASSWORD", KeycloakStandin::kRealmAdminPassword},
            {"KEYCLOAK_ADMIN_CLIENT_ID", kAdminClient},
            {"KEYCLOAK_ADMIN_CLIENT_SECRET", kAdminSecret},
            {"OIDC_AUDIENCE", "iot-api"},
            {"IOT_LOG_FORMAT", "text"}};
  }
  RunResult bootstrap(std::vector<std::string> extra = {},
                      const std::map<std::string, std::string>& overrides = {}) {
    std::vector<std::string> args = {"keycloak", "--realm", "iot"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto e = env();
    for (const auto& [k, v] : overrides) e[k] = v;
    return test_support::run(test_support::bin("iot-bootstrap-org"), args, with_env(e));
  }
  json changes(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--output", "json"});
    const auto r = bootstrap(extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["changes"];
  }
  json scope() {
    const auto state = kc.state();
    for (const auto& s : state["scopes"])
      if (s["name"] == "iot-device-audience") return s;
    return nullptr;
  }

  KeycloakStandin kc;
};

TEST_F(BootstrapKeycloak, FirstRunCreatesEverythingTheToolkitNeeds) {
  const auto r = bootstrap();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("create client 'iot-api'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("create client scope 'iot-device-audience'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("grant role client 'iot-toolkit-admin' (realm-management manage-clients)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find(kAdminSecret), std::string::npos) << "a secret in the output";

  const auto api = kc.client("iot-api");
  ASSERT_TRUE(api);
  EXPECT_FALSE((*api)["standardFlowEnabled"]);
  EXPECT_FALSE((*api)["directAccessGrantsEnabled"]);
  EXPECT_FALSE((*api)["serviceAccountsEnabled"]);
  const auto s = scope();
  ASSERT_FALSE(s.is_null());
  ASSERT_EQ(s["protocolMappers"].size(), 1u);
  EXPECT_EQ(s["protocolMappers"][0]["protocolMapper"], "oidc-audience-mapper");
  EXPECT_EQ(s["protocolMappers"][0]["config"]["included.client.audience"], "iot-api");
  EXPECT_EQ(s["protocolMappers"][0]["config"]["access.token.claim"], "true");

  // The admin client works as the toolkit uses it: its secret gets a token that may manage
  // clients (the stand-in lets only manage-clients holders use the admin API).
  const auto [status, token] = kc.request_token(kAdminClient, kAdminSecret);
  EXPECT_EQ(status, 200) << token.dump();
  const auto admin = kc.client(kAdminClient);
  ASSERT_TRUE(admin);
  const auto roles =
      kc.state()["role_mappings"][(*admin)["serviceAccountUserId"].get<std::string>()];
  EXPECT_EQ(roles, json::array({"manage-clients"}));
  EXPECT_EQ(kc.counter("realm_admin_logins"), 1) << "one login, its token reused";
}

TEST_F(BootstrapKeycloak, SecondRunChangesNothing) {
  ASSERT_EQ(bootstrap().exit_code, 0);
  const long created = kc.counter("clients_created"), updated = kc.counter("clients_updated"),
             mappers = kc.counter("scope_mappers_created"),
             roles = kc.counter("role_mappings_changed");
  const auto r = bootstrap();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "nothing changed: the realm already has what the toolkit needs\n");
  EXPECT_TRUE(changes().empty());
  EXPECT_EQ(kc.counter("clients_created"), created);
  EXPECT_EQ(kc.counter("clients_updated"), updated);
  EXPECT_EQ(kc.counter("scope_mappers_created"), mappers);
  EXPECT_EQ(kc.counter("role_mappings_changed"), roles);
}

TEST_F(BootstrapKeycloak, DryRunListsThePlanAndChangesNothing) {
  const auto r = bootstrap({"--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("would create client 'iot-toolkit-admin'"), std::string::npos) << r.out;
  EXPECT_FALSE(kc.client("iot-api"));
  EXPECT_TRUE(scope().is_null());
  EXPECT_EQ(kc.counter("clients_created"), 0);
}

TEST_F(BootstrapKeycloak, TamperedMapperIsRepaired) {
  ASSERT_EQ(bootstrap().exit_code, 0);
  auto s = scope();
  auto mapper = s["protocolMappers"][0];
  mapper["config"]["included.client.audience"] = "someone-else";
  mapper["config"]["access.token.claim"] = "false";
  const auto path = "/client-scopes/" + s["id"].get<std::string>() + "/protocol-mappers/models/" +
                    mapper["id"].get<std::string>();
  ASSERT_EQ(kc.admin_call("PUT", path, mapper).first, 204);

  const auto c = changes();
  ASSERT_EQ(c.size(), 1u) << c.dump();
  EXPECT_EQ(c[0]["action"], "update");
  EXPECT_EQ(c[0]["detail"], "access.token.claim, included.client.audience");
  EXPECT_EQ(scope()["protocolMappers"][0]["config"]["included.client.audience"], "iot-api");
  EXPECT_EQ(scope()["protocolMappers"][0]["config"]["access.token.claim"], "true");
  EXPECT_TRUE(changes().empty());
}

TEST_F(BootstrapKeycloak, RemovedRoleAndChangedClientAreRepaired) {
  ASSERT_EQ(bootstrap().exit_code, 0);
  const auto admin = *kc.client(kAdminClient);
  const std::string user = admin["serviceAccountUserId"];
  const auto management = kc.admin_call("GET", "/clients?clientId=realm-management").second[0];
  const std::string mapping =
      "/users/" + user + "/role-mappings/clients/" + management["id"].get<std::string>();
  const auto role = kc.admin_call("GET", "/clients/" + management["id"].get<std::string>() +
                                             "/roles/manage-clients")
                        .second;
  ASSERT_EQ(kc.admin_call("DELETE", mapping, json::array({role})).first, 204);
  kc.control("patch-client", {{"client_id", kAdminClient},
                              {"set", {{"standardFlowEnabled", true}, {"secret", "changed"}}}});
  const long created = kc.counter("clients_created");

  const auto c = changes();
  ASSERT_EQ(c.size(), 3u) << c.dump();
  EXPECT_EQ(c[0]["action"], "update");
  EXPECT_EQ(c[0]["detail"], "standardFlowEnabled");
  EXPECT_EQ(c[1]["action"], "set secret");
  EXPECT_EQ(c[2]["action"], "grant role");
  EXPECT_EQ(kc.counter("clients_created"), created) << "repaired in place, not re-created";
  EXPECT_FALSE((*kc.client(kAdminClient))["standardFlowEnabled"]);
  EXPECT_EQ(kc.request_token(kAdminClient, kAdminSecret).first, 200);
  EXPECT_EQ(kc.state()["role_mappings"][user], json::array({"manage-clients"}));
}

TEST_F(BootstrapKeycloak, WrongAdminPasswordIsAUsageError) {
  const auto r = bootstrap({}, {{"KEYCLOAK_ADMIN_PASSWORD", "wrong"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("Keycloak refused the login of realm administrator 'admin' (401"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(kc.client("iot-api"));
}

TEST_F(BootstrapKeycloak, KeycloakDownIsExitFive) {
  kc.stop();
  const auto r = bootstrap();
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("unavailable"), std::string::npos) << r.err;
}

TEST_F(BootstrapKeycloak, FailureHalfWayIsFinishedByTheNextRun) {
  // Keycloak fails after the first few admin calls: the run stops (exit 5) with part done;
  // the next run does the rest and nothing twice.
  kc.control("faults", {{"where", "admin"}, {"after", 5}, {"count", -1}, {"status", 503}});
  const auto broken = bootstrap();
  EXPECT_EQ(broken.exit_code, 5) << broken.err;
  kc.control("clear");
  const auto r = bootstrap();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("create client 'iot-api'"), std::string::npos)
      << "the first run had created it: " << r.out;
  EXPECT_TRUE(changes().empty());
}

TEST(BootstrapKeycloakRealm, HandMadeAudienceMapperIsAccepted) {
  KeycloakStandin kc;  // the default realm already has the scope, with its own mapper name
  const auto r = test_support::run(
      test_support::bin("iot-bootstrap-org"), {"keycloak", "--realm", "iot", "--output", "json"},
      with_env({{"KEYCLOAK_BASE_URL", kc.url()},
                {"KEYCLOAK_ADMIN_USERNAME", KeycloakStandin::kRealmAdminUser},
                {"KEYCLOAK_ADMIN_PASSWORD", KeycloakStandin::kRealmAdminPassword},
                {"KEYCLOAK_ADMIN_CLIENT_ID", KeycloakStandin::kAdminClientId},
                {"OIDC_AUDIENCE", "iot-api"}},
               {"KEYCLOAK_ADMIN_CLIENT_SECRET"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto c = json::parse(r.out)["changes"];
  ASSERT_EQ(c.size(), 1u) << c.dump();  // only the endpoint's client was missing
  EXPECT_EQ(c[0]["object"], "client 'iot-api'");
}

}  // namespace
}  // namespace iotfleet
