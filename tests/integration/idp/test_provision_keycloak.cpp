// iot-provision with Keycloak identities, as a user runs it: the stand-in plays Keycloak, the
// real PostgreSQL keeps the devices.
#include <gtest/gtest.h>

#include "core/secret_box.hpp"
#include "idp/local.hpp"
#include "integration/provision/provision_fixture.hpp"
#include "support/keycloak_standin.hpp"

namespace iotfleet::test_support {
namespace {

const char* kKeycloakVariables[] = {
    "KEYCLOAK_BASE_URL",        "KEYCLOAK_BASE_PATH",           "KEYCLOAK_REALM",
    "KEYCLOAK_ADMIN_CLIENT_ID", "KEYCLOAK_ADMIN_CLIENT_SECRET", "KEYCLOAK_CA_FILE",
    "KEYCLOAK_DEVICE_SCOPE",    "KEYCLOAK_TIMEOUT_SECONDS",     "KEYCLOAK_CONCURRENCY"};

class ProvisionKeycloak : public ProvisionTest {
 protected:
  ProvisionKeycloak() {
    for (const auto& [k, v] : kc.env()) env[k] = v;
    create_model("env_sensor");
  }

  RunResult run_tool(const std::vector<std::string>& args) {
    RunOptions options;
    for (const char* name : kKeycloakVariables) {
      options.unset.emplace_back(name);
      options.unset.push_back(std::string(name) + "_FILE");
    }
    return provision(args, options);
  }
  nlohmann::json run_json(std::vector<std::string> args, int expected_exit = 0) {
    args.insert(args.end(), {"--output", "json"});
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    return nlohmann::json::parse(r.out.empty() ? "null" : r.out, nullptr, false);
  }
  std::vector<std::string> create_keycloak_devices(int count) {
    std::vector<std::string> keys;
    for (const auto& d : run_json({"device", "create", "--model", "env_sensor", "--identity",
                                   "keycloak", "--count", std::to_string(count)}))
      keys.push_back(d["key"]);
    return keys;
  }
  nlohmann::json package(const std::string& key) {
    const auto r = run_tool({"package", key});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
  std::int64_t rows() { return count("SELECT count(*) FROM devices"); }

  KeycloakStandin kc;
};

TEST_F(ProvisionKeycloak, CreateMakesTheClientAndKeepsItsSecretSealed) {
  const auto keys = create_keycloak_devices(1);
  ASSERT_EQ(keys.size(), 1u);
  const std::string client_id = "iotdevice-env_sensor-" + keys[0];
  const auto client = kc.client(client_id);
  ASSERT_TRUE(client) << "the Keycloak client exists";
  EXPECT_EQ(db.scalar("SELECT identity_kind || ' ' || (secret_hmac IS NULL) || ' ' || "
                      "(secret_sealed LIKE 'sb1:k1:%') "
                      "FROM devices"),
            "keycloak true true");

  // The package carries Keycloak's secret and token URL, and they get the device a token.
  const auto p = package(keys[0]);
  EXPECT_EQ(p["client_id"], client_id);
  EXPECT_EQ(p["client_secret"], (*client)["secret"]);
  EXPECT_EQ(p["token_url"], kc.token_url());
  EXPECT_EQ(kc.request_token(client_id, p["client_secret"]).first, 200);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.create' AND "
                  "details->>'identity' = 'keycloak'"),
            1);
}

TEST_F(ProvisionKeycloak, BulkCreationOverlapsKeycloakCalls) {
  env["KEYCLOAK_CONCURRENCY"] = "8";
  kc.control("delay", {{"seconds", 0.02}, {"where", "admin"}});
  const auto keys = create_keycloak_devices(60);
  EXPECT_EQ(keys.size(), 60u);
  EXPECT_EQ(rows(), 60);
  EXPECT_EQ(kc.device_client_count(), 60u);
  EXPECT_GE(kc.counter("max_in_flight"), 4);
}

TEST_F(ProvisionKeycloak, KeycloakDownIsExit5NamingKeycloakAndCreatesNothing) {
  kc.stop();
  const auto r = run_tool(
      {"device", "create", "--model", "env_sensor", "--identity", "keycloak", "--count", "5"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("iot-provision: error: Keycloak at " + kc.url() + " is unavailable"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(KeycloakStandin::kAdminClientSecret), std::string::npos);
  EXPECT_EQ(rows(), 0);
}

TEST_F(ProvisionKeycloak, KeycloakFailingMidwayLeavesNoDeviceAndNoOrphanClient) {
  // One 503 after some clients exist: the run fails and deletes the clients it made.
  kc.control("faults", {{"status", 503}, {"where", "admin"}, {"after", 25}, {"count", 1}});
  const auto r = run_tool(
      {"device", "create", "--model", "env_sensor", "--identity", "keycloak", "--count", "40"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("Keycloak answered 503"), std::string::npos) << r.err;
  EXPECT_EQ(rows(), 0);
  EXPECT_GT(kc.counter("clients_created"), 0);
  EXPECT_EQ(kc.device_client_count(), 0u) << "no orphan clients";
}

TEST_F(ProvisionKeycloak, ASlowKeycloakIsExit5AndCreatesNothing) {
  env["KEYCLOAK_TIMEOUT_SECONDS"] = "1";
  kc.control("delay", {{"seconds", 3}, {"where", "admin"}, {"count", 1}});
  const auto r = run_tool({"device", "create", "--model", "env_sensor", "--identity", "keycloak"});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
  EXPECT_EQ(rows(), 0);
  EXPECT_EQ(kc.device_client_count(), 0u);
}

TEST_F(ProvisionKeycloak, ADatabaseFailureAfterTheClientsExistDeletesThemAgain) {
  // A deferred constraint trigger fails the COMMIT, after every Keycloak call succeeded.
  {
    pqxx::work tx(db.conn());
    tx.exec0(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; END $$");
    tx.exec0(
        "CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON devices DEFERRABLE INITIALLY "
        "DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION refuse()");
    tx.commit();
  }
  const auto r = run_tool(
      {"device", "create", "--model", "env_sensor", "--identity", "keycloak", "--count", "3"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("refused by the test"), std::string::npos) << r.err;
  EXPECT_EQ(kc.counter("clients_created"), 3);
  EXPECT_EQ(kc.device_client_count(), 0u);
  EXPECT_EQ(rows(), 0);
}

TEST_F(ProvisionKeycloak, DeleteRemovesTheRowThenTheClient) {
  const auto key = create_keycloak_devices(1)[0];
  const auto out = run_json({"device", "delete", key});
  EXPECT_EQ(out["identity_removed"], true);
  EXPECT_EQ(rows(), 0);
  EXPECT_EQ(kc.device_client_count(), 0u);
  EXPECT_EQ(run_tool({"device", "delete", key}).exit_code, 3);
}

TEST_F(ProvisionKeycloak, DeleteReportsALeftoverClientButSucceeds) {
  const auto key = create_keycloak_devices(1)[0];
  kc.control("faults", {{"status", 503}, {"where", "admin"}});
  const auto r = run_tool({"device", "delete", key});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("iot-provision: warning: device '" + key +
                       "' was deleted, but its Keycloak client "
                       "'iotdevice-env_sensor-" +
                       key + "' could not be removed"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(rows(), 0);
  kc.control("clear");
  EXPECT_EQ(kc.device_client_count(), 1u);
}

TEST_F(ProvisionKeycloak, DeletingADeviceWhoseClientIsGoneIsFine) {
  const auto key = create_keycloak_devices(1)[0];
  kc.control("patch-client", {{"client_id", "iotdevice-env_sensor-" + key}, {"delete", true}});
  const auto out = run_json({"device", "delete", key});
  EXPECT_EQ(out["identity_removed"], false);
  EXPECT_TRUE(out["warning"].is_null());
}

TEST_F(ProvisionKeycloak, SyncRecreatesAMissingClientWithTheSameSecret) {
  const auto key = create_keycloak_devices(1)[0];
  const std::string client_id = "iotdevice-env_sensor-" + key;
  const std::string secret = package(key)["client_secret"];
  kc.control("patch-client", {{"client_id", client_id}, {"delete", true}});

  const auto missing = run_json({"device", "identity", key}, 3);
  EXPECT_EQ(missing["exists"], false);
  EXPECT_EQ(missing["consistent"], false);

  const auto synced = run_json({"device", "sync", key});
  EXPECT_EQ(synced["outcome"], "created");
  EXPECT_EQ(kc.client(client_id).value()["secret"], secret) << "the device's package keeps working";
  EXPECT_EQ(run_json({"device", "identity", key})["consistent"], true);
}

TEST_F(ProvisionKeycloak, SyncRepairsSettingsSecretAndScope) {
  const auto key = create_keycloak_devices(1)[0];
  const std::string client_id = "iotdevice-env_sensor-" + key;
  kc.control("patch-client",
             {{"client_id", client_id},
              {"set", {{"secret", "rotated-by-hand"}, {"serviceAccountsEnabled", false}}},
              {"remove_default_scope", "iot-device-audience"}});
  const auto r = run_tool({"device", "identity", key});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("the secret differs from the toolkit's copy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("serviceAccountsEnabled"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("run 'iot-provision device sync " + key + "'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("rotated-by-hand"), std::string::npos);

  const auto synced = run_json({"device", "sync", key});
  EXPECT_EQ(synced["outcome"], "repaired");
  EXPECT_EQ(synced["changes"].size(), 3u);
  EXPECT_EQ(run_json({"device", "identity", key})["problems"].size(), 0u);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.sync'"), 1);
  EXPECT_EQ(run_json({"device", "sync", key})["outcome"], "unchanged");
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.sync'"), 1)
      << "no-ops are not recorded";
}

TEST_F(ProvisionKeycloak, SyncIsRefusedWhileARotationIsInFlight) {
  const auto key = create_keycloak_devices(1)[0];
  {
    pqxx::work tx(db.conn());
    tx.exec0("UPDATE devices SET rotation_state = 'PENDING'");
    tx.commit();
  }
  const auto r = run_tool({"device", "sync", key});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("rotation"), std::string::npos);
}

TEST_F(ProvisionKeycloak, MissingKeycloakSettingsAreAUsageErrorBeforeAnyChange) {
  env.erase("KEYCLOAK_REALM");
  const auto r = run_tool({"device", "create", "--model", "env_sensor", "--identity", "keycloak"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("missing setting: give --keycloak-realm or set KEYCLOAK_REALM"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(rows(), 0);
  const auto flag = run_tool({"device", "create", "--model", "env_sensor", "--identity", "keycloak",
                              "--keycloak-realm", "iot"});
  EXPECT_EQ(flag.exit_code, 0) << flag.err;

  env.erase("KEYCLOAK_ADMIN_CLIENT_SECRET");
  const auto secret = run_tool({"device", "create", "--model", "env_sensor", "--identity",
                                "keycloak", "--keycloak-realm", "iot"});
  EXPECT_EQ(secret.exit_code, 2);
  EXPECT_NE(secret.err.find("missing setting: set KEYCLOAK_ADMIN_CLIENT_SECRET"), std::string::npos)
      << secret.err;
}

TEST_F(ProvisionKeycloak, ATypoInTheIdentityIsAUsageErrorAndCertNeedsItsCa) {
  const auto typo =
      run_tool({"device", "create", "--model", "env_sensor", "--identity", "keycloack"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("see 'iot-provision device create --help'"), std::string::npos)
      << typo.err;
  const auto cert = run_tool({"device", "create", "--model", "env_sensor", "--identity", "cert"});
  EXPECT_EQ(cert.exit_code, 2);
  EXPECT_NE(cert.err.find("needs --ca DIR"), std::string::npos) << cert.err;
  EXPECT_EQ(rows(), 0);
}

TEST_F(ProvisionKeycloak, APackageOfAKeycloakDeviceNeedsTheTokenUrl) {
  const auto key = create_keycloak_devices(1)[0];
  env.erase("OIDC_TOKEN_URL");
  const auto r = run_tool({"package", key});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("missing setting: give --token-url or set OIDC_TOKEN_URL"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.package'"), 0);
}

TEST_F(ProvisionKeycloak, LocalDevicesHaveIdentitiesToo) {
  const auto key = create_devices("env_sensor")[0];
  const auto identity = run_json({"device", "identity", key});
  EXPECT_EQ(identity["identity"], "local");
  EXPECT_EQ(identity["consistent"], true);
  EXPECT_EQ(run_json({"device", "sync", key})["outcome"], "unchanged");
  EXPECT_EQ(run_json({"device", "delete", key})["identity_removed"], false);
  EXPECT_EQ(kc.counter("admin_requests"), 0) << "local devices never touch Keycloak";
}

TEST_F(ProvisionKeycloak, HelpTeachesTheKeycloakSettings) {
  const auto r = run_tool({"device", "create", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"--keycloak-url", "KEYCLOAK_BASE_URL", "KEYCLOAK_ADMIN_CLIENT_SECRET",
                        "--keycloak-base-path", "KEYCLOAK_CA_FILE", "iot-device-audience"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  EXPECT_EQ(r.out.find("--keycloak-admin-client-secret"), std::string::npos)
      << "a secret is never a flag";
  for (const char* cmd : {"sync", "identity"})
    EXPECT_EQ(run_tool({"device", cmd, "--help"}).exit_code, 0);
}

}  // namespace
}  // namespace iotfleet::test_support
