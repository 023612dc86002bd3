#include <gtest/gtest.h>

#include "integration/provision/provision_fixture.hpp"

namespace iotfleet::test_support {
namespace {

const char* kSchema = R"({"type":"object","required":["interval_s"],
  "properties":{"interval_s":{"type":"integer","minimum":10},"unit":{"enum":["C","F"]}}})";

using Models = ProvisionTest;

TEST_F(Models, CreateShowListAndAudit) {
  create_model("env_sensor", kSchema);
  const auto shown = provision_json({"model", "show", "env_sensor"});
  EXPECT_EQ(shown["code"], "env_sensor");
  EXPECT_EQ(shown["name"], "Model env_sensor");
  EXPECT_EQ(shown["config_schema"]["required"][0], "interval_s");
  EXPECT_EQ(shown["devices"], 0);

  create_model("door_lock");
  const auto list = provision_json({"model", "list"});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["code"], "door_lock");
  EXPECT_EQ(list[1]["code"], "env_sensor");

  const auto table = provision({"model", "list"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("CODE"), std::string::npos);
  EXPECT_NE(table.out.find("env_sensor"), std::string::npos);

  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'model.create' AND actor = 'integration-test'"), 2);
}

TEST_F(Models, DuplicateCodeIsExit4AndChangesNothing) {
  create_model("env_sensor");
  const auto r = provision({"model", "create", "--code", "env_sensor", "--name", "Other"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("'env_sensor' already exists"), std::string::npos) << r.err;
  EXPECT_EQ(db.scalar("SELECT name FROM device_models WHERE code = 'env_sensor'"), "Model env_sensor");
}

TEST_F(Models, InvalidCodesAreRefused) {
  for (const std::string& code : std::vector<std::string>{"Env", "env-sensor", "", std::string(51, 'a'), "a b"}) {
    const auto r = provision({"model", "create", "--code", code, "--name", "x"});
    EXPECT_EQ(r.exit_code, 1) << code << ": " << r.err;
  }
  EXPECT_EQ(count("SELECT count(*) FROM device_models"), 0);
}

TEST_F(Models, InvalidSchemaFilesAreRefused) {
  const auto not_json = provision({"model", "create", "--code", "m", "--name", "x", "--config-schema",
                                   write_file("bad.json", "{not json")});
  EXPECT_EQ(not_json.exit_code, 1);
  EXPECT_NE(not_json.err.find("is not valid JSON"), std::string::npos) << not_json.err;

  const auto not_schema = provision({"model", "create", "--code", "m", "--name", "x", "--config-schema",
                                     write_file("bad-schema.json", R"({"type": 12})")});
  EXPECT_EQ(not_schema.exit_code, 1);
  EXPECT_NE(not_schema.err.find("invalid JSON Schema"), std::string::npos) << not_schema.err;

  const auto missing = provision({"model", "create", "--code", "m", "--name", "x", "--config-schema", "/nope.json"});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_EQ(count("SELECT count(*) FROM device_models"), 0);
}

TEST_F(Models, UnknownModelIsExit3WithItsName) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"model", "show", "ghost"}, {"model", "delete", "ghost"}, {"model", "update", "ghost", "--name", "x"}}) {
    const auto r = provision(args);
    EXPECT_EQ(r.exit_code, 3) << args[1];
    EXPECT_NE(r.err.find("'ghost'"), std::string::npos) << r.err;
  }
}

TEST_F(Models, UpdateNameAndSchema) {
  create_model("env_sensor");
  auto updated = provision_json({"model", "update", "env_sensor", "--name", "Renamed"});
  EXPECT_EQ(updated["name"], "Renamed");
  updated = provision_json({"model", "update", "env_sensor", "--config-schema", write_file("s.json", kSchema)});
  EXPECT_FALSE(updated["config_schema"].is_null());
  updated = provision_json({"model", "update", "env_sensor", "--clear-config-schema"});
  EXPECT_TRUE(updated["config_schema"].is_null());
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'model.update'"), 3);

  const auto nothing = provision({"model", "update", "env_sensor"});
  EXPECT_EQ(nothing.exit_code, 2) << nothing.err;
}

TEST_F(Models, NewSchemaThatRejectsExistingConfigsIsRefused) {
  create_model("env_sensor");
  const auto keys = create_devices("env_sensor", 2, R"({"interval_s": 5})");
  const auto r = provision({"model", "update", "env_sensor", "--config-schema", write_file("s.json", kSchema)});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("2 device(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(keys[0]), std::string::npos) << r.err;
  EXPECT_EQ(db.scalar("SELECT coalesce(config_schema::text, '') FROM device_models"), "");
}

TEST_F(Models, DeleteIsRefusedWhileDevicesExistAndSaysHowMany) {
  create_model("env_sensor");
  const auto keys = create_devices("env_sensor", 3);
  const auto refused = provision({"model", "delete", "env_sensor"});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_NE(refused.err.find("still has 3 device(s)"), std::string::npos) << refused.err;

  for (const auto& key : keys) ASSERT_EQ(provision({"device", "delete", key}).exit_code, 0);
  const auto deleted = provision({"model", "delete", "env_sensor"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(count("SELECT count(*) FROM device_models"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'model.delete'"), 1);
}

TEST_F(Models, CodeIsImmutableInTheDatabase) {
  create_model("env_sensor");
  pqxx::work tx(db.conn());
  EXPECT_THROW(tx.exec0("UPDATE device_models SET code = 'other'"), pqxx::check_violation);
}

}  // namespace
}  // namespace iotfleet::test_support
