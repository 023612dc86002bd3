#include "integration/provision/provision_fixture.hpp"

#include <fstream>

#include "core/secret_box.hpp"

namespace iotfleet::test_support {

ProvisionTest::ProvisionTest() {
  env = {{"DATABASE_URL", db.url()},
         {"IOT_SECRET_KEY", core::SecretBox::generate_keyring_entry("k1")},
         {"IOT_SECRET_PEPPER", "cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg=="},
         {"DEVICE_BASE_URL", "https://iot.example.org"},
         {"DEVICE_MQTT_URL", "mqtts://mqtt.example.org:8883"},
         {"WIFI_SSID", "field net"},
         {"WIFI_PASSWORD", "Tr0ub4dor,&3 horse"},
         {"IOT_ACTOR", "integration-test"},
         {"IOT_LOG_FORMAT", "json"}};
}

RunResult ProvisionTest::provision(const std::vector<std::string>& args, RunOptions options) {
  return tool("iot-provision", args, std::move(options));
}

RunResult ProvisionTest::firmware(const std::vector<std::string>& args, RunOptions options) {
  return tool("iot-firmware", args, std::move(options));
}

RunResult ProvisionTest::tool(const std::string& program, const std::vector<std::string>& args, RunOptions options) {
  // Hermetic: a setting the test removed from `env` must not come from the outer environment.
  for (const char* name : {"DATABASE_URL", "IOT_SECRET_KEY", "IOT_SECRET_PEPPER", "DEVICE_BASE_URL",
                           "DEVICE_MQTT_URL", "OIDC_TOKEN_URL", "WIFI_SSID", "WIFI_PASSWORD", "IOT_ACTOR",
                           "MQTT_URL"}) {
    options.unset.emplace_back(name);
    options.unset.push_back(std::string(name) + "_FILE");
  }
  for (const auto& [k, v] : env) options.env.emplace(k, v);
  return run(bin(program), args, options);
}

nlohmann::json ProvisionTest::provision_json(std::vector<std::string> args) {
  args.push_back("--output");
  args.push_back("json");
  const auto r = provision(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << r.out << "\n" << r.err;
    return nullptr;
  }
}

void ProvisionTest::create_model(const std::string& code, const std::string& schema_json) {
  std::vector<std::string> args = {"model", "create", "--code", code, "--name", "Model " + code};
  if (!schema_json.empty()) {
    args.push_back("--config-schema");
    args.push_back(write_file(code + ".schema.json", schema_json));
  }
  const auto r = provision(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

std::vector<std::string> ProvisionTest::create_devices(const std::string& model, int count,
                                                       const std::string& config_json) {
  std::vector<std::string> args = {"device", "create", "--model", model, "--count", std::to_string(count)};
  if (!config_json.empty()) {
    args.push_back("--config");
    args.push_back(write_file("config.json", config_json));
  }
  const auto out = provision_json(args);
  std::vector<std::string> keys;
  for (const auto& d : out) keys.push_back(d["key"]);
  return keys;
}

std::string ProvisionTest::write_file(const std::string& name, const std::string& contents) {
  const auto path = dir.path() / name;
  std::ofstream(path, std::ios::binary) << contents;
  return path.string();
}

}  // namespace iotfleet::test_support
