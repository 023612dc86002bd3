#include <gtest/gtest.h>

#include "integration/provision/provision_fixture.hpp"

namespace iotfleet::test_support {
namespace {

const char* kSchema = R"({"type":"object","required":["interval_s"],
  "properties":{"interval_s":{"type":"integer","minimum":10},"unit":{"enum":["C","F"]}}})";

using Devices = ProvisionTest;

TEST_F(Devices, CreatePrintsKeysClientIdsAndModel) {
  create_model("env_sensor");
  const auto out = provision_json({"device", "create", "--model", "env_sensor"});
  ASSERT_EQ(out.size(), 1u);
  const std::string key = out[0]["key"];
  EXPECT_EQ(key.size(), 8u);
  EXPECT_EQ(out[0]["client_id"], "iotdevice-env_sensor-" + key);
  EXPECT_EQ(out[0]["model"], "env_sensor");
  EXPECT_EQ(db.scalar("SELECT identity_kind || ' ' || rotation_state || ' ' || active FROM devices"), "local OK true");
  EXPECT_EQ(count("SELECT count(*) FROM devices WHERE secret_hmac IS NOT NULL AND secret_sealed LIKE 'sb1:k1:%'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'device.create' AND object_id = '" + key + "'"), 1);
}

TEST_F(Devices, CountCreatesDistinctNumberedDevices) {
  create_model("env_sensor");
  const auto r = provision({"device", "create", "--model", "env_sensor", "--count", "12", "--name", "hall",
                            "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 12u);
  EXPECT_EQ(count("SELECT count(DISTINCT key) FROM devices"), 12);
  EXPECT_EQ(db.scalar("SELECT string_agg(name, ',' ORDER BY name) FROM devices WHERE name IN ('hall-01','hall-12')"),
            "hall-01,hall-12");
}

TEST_F(Devices, ConfigIsValidatedAgainstTheSchemaNamingTheField) {
  create_model("env_sensor", kSchema);
  const auto r = provision({"device", "create", "--model", "env_sensor", "--count", "5", "--config",
                            write_file("c.json", R"({"interval_s": 3, "unit": "K"})")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("config.interval_s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("config.unit"), std::string::npos) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0) << "nothing created";

  const auto missing = provision({"device", "create", "--model", "env_sensor"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("interval_s"), std::string::npos) << missing.err;

  RunOptions with_stdin;
  with_stdin.stdin_data = R"({"interval_s": 60, "unit": "C"})";
  const auto ok = provision({"device", "create", "--model", "env_sensor", "--config", "-"}, with_stdin);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(db.scalar("SELECT config->>'interval_s' FROM devices"), "60");
}

TEST_F(Devices, InvalidJsonAndNonObjectConfigsAreRefused) {
  create_model("m");
  EXPECT_EQ(provision({"device", "create", "--model", "m", "--config", write_file("a.json", "{")}).exit_code, 1);
  EXPECT_EQ(provision({"device", "create", "--model", "m", "--config", write_file("b.json", "[1]")}).exit_code, 1);
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

TEST_F(Devices, UnknownModelIsExit3AndIdentitiesWithoutTheirSettingsAreRefused) {
  const auto unknown = provision({"device", "create", "--model", "ghost"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("'ghost'"), std::string::npos);

  create_model("m");
  const auto cert = provision({"device", "create", "--model", "m", "--identity", "cert"});
  EXPECT_EQ(cert.exit_code, 2) << cert.err;
  EXPECT_NE(cert.err.find("needs --ca DIR"), std::string::npos) << cert.err;
  // Keycloak identities need their settings (tests/integration/idp has the rest).
  RunOptions without_keycloak;
  without_keycloak.unset = {"KEYCLOAK_BASE_URL", "KEYCLOAK_BASE_URL_FILE"};
  const auto keycloak = provision({"device", "create", "--model", "m", "--identity", "keycloak"}, without_keycloak);
  EXPECT_EQ(keycloak.exit_code, 2) << keycloak.err;
  EXPECT_NE(keycloak.err.find("KEYCLOAK_BASE_URL"), std::string::npos) << keycloak.err;
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

TEST_F(Devices, CreateNeedsTheSecretSettingsAndChangesNothingWithoutThem) {
  create_model("m");
  for (const std::string name : {"IOT_SECRET_PEPPER", "IOT_SECRET_KEY"}) {
    auto saved = env;
    env.erase(name);
    const auto r = provision({"device", "create", "--model", "m"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("missing setting: set " + name), std::string::npos) << r.err;
    env = saved;
  }
  env["IOT_SECRET_PEPPER"] = "dG9vIHNob3J0";
  const auto weak = provision({"device", "create", "--model", "m"});
  EXPECT_EQ(weak.exit_code, 2) << weak.err;
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

TEST_F(Devices, ListFiltersByModelStateAndActivity) {
  create_model("a");
  create_model("b");
  const auto a = create_devices("a", 3);
  create_devices("b", 2);
  ASSERT_EQ(provision({"device", "deactivate", a[0]}).exit_code, 0);
  {
    pqxx::work tx(db.conn());
    tx.exec_params("UPDATE devices SET rotation_state = 'PENDING' WHERE key = $1", a[1]);
    tx.commit();
  }
  EXPECT_EQ(provision_json({"device", "list"}).size(), 5u);
  EXPECT_EQ(provision_json({"device", "list", "--model", "a"}).size(), 3u);
  EXPECT_EQ(provision_json({"device", "list", "--model", "b"}).size(), 2u);
  const auto inactive = provision_json({"device", "list", "--inactive"});
  ASSERT_EQ(inactive.size(), 1u);
  EXPECT_EQ(inactive[0]["key"], a[0]);
  const auto pending = provision_json({"device", "list", "--state", "pending"});
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["key"], a[1]);
  EXPECT_EQ(provision({"device", "list", "--state", "BOGUS"}).exit_code, 2);
  EXPECT_EQ(provision({"device", "list", "--model", "ghost"}).exit_code, 3);
}

TEST_F(Devices, ShowSetConfigActivateDeactivateDelete) {
  create_model("env_sensor", kSchema);
  const auto key = create_devices("env_sensor", 1, R"({"interval_s": 60})")[0];

  auto shown = provision_json({"device", "show", key});
  EXPECT_EQ(shown["config"]["interval_s"], 60);
  EXPECT_EQ(shown["rotation"]["state"], "OK");
  EXPECT_FALSE(shown.contains("secret"));

  const auto bad = provision({"device", "set-config", key, "--config", write_file("bad.json", R"({"interval_s": 1})")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("config.interval_s"), std::string::npos) << bad.err;
  EXPECT_EQ(db.scalar("SELECT config->>'interval_s' FROM devices"), "60");

  shown = provision_json({"device", "set-config", key, "--config", write_file("good.json", R"({"interval_s": 90})")});
  EXPECT_EQ(shown["config"]["interval_s"], 90);

  EXPECT_EQ(provision_json({"device", "deactivate", key})["active"], false);
  EXPECT_EQ(provision_json({"device", "deactivate", key})["active"], false) << "idempotent";
  EXPECT_EQ(provision_json({"device", "activate", key})["active"], true);

  EXPECT_EQ(provision({"device", "delete", key}).exit_code, 0);
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE object_id = '" + key + "'"), 5)
      << "create, set-config, deactivate, activate, delete; refused and no-op changes are not recorded";
}

TEST_F(Devices, UnknownOrMalformedKeysAreExit3) {
  for (const std::string key : {"zzzzzzzz", "NOT-A-KEY", "'; DROP TABLE devices; --"}) {
    for (const auto& verb : {"show", "delete", "activate", "deactivate"}) {
      const auto r = provision({"device", verb, key});
      EXPECT_EQ(r.exit_code, 3) << verb << " " << key << ": " << r.err;
    }
  }
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
  EXPECT_EQ(db.scalar("SELECT to_regclass('devices') IS NOT NULL"), "t");
}

TEST_F(Devices, LoadTestDataCreatesAFleetOnceAndThenNothing) {
  const auto first = provision_json({"load-test-data"});
  EXPECT_EQ(first["models_created"].size(), 3u);
  EXPECT_EQ(first["devices_created"].size(), 25u);
  const auto second = provision_json({"load-test-data"});
  EXPECT_TRUE(second["models_created"].empty());
  EXPECT_TRUE(second["devices_created"].empty());
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 25);
}

TEST_F(Devices, UsageErrorsPointToHelp) {
  const auto typo = provision({"devcie", "list"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'device'"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("see 'iot-provision --help'"), std::string::npos) << typo.err;
  const auto missing = provision({"device", "create"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("--model"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("see 'iot-provision device create --help'"), std::string::npos) << missing.err;
  const auto help = provision({"device", "create", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--count"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::test_support
