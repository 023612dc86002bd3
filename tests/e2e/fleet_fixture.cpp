#include "e2e/fleet_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "integration/http/serve_fixture.hpp"
#include "test_support/esp_image.hpp"

namespace iotfleet::test_support {

FleetTest::FleetTest() {
  const char* url = std::getenv("MQTT_URL");
  if (!url || !*url) throw std::runtime_error("MQTT_URL is not set: start scripts/services.sh");
  mqtt_url = url;
  serve_port = free_port();
  packages_dir = dir.path() / "packages";
  state_dir = dir.path() / "state";
  std::filesystem::create_directories(packages_dir);
  for (const auto& [k, v] : kc.env())
    if (k != "OIDC_TOKEN_URL") env[k] = v;  // only Keycloak devices' packages get a token URL
  env["DEVICE_BASE_URL"] = serve_url();
  env["DEVICE_MQTT_URL"] = mqtt_url;
  env["MQTT_URL"] = mqtt_url;
  env["IOT_LOG_LEVEL"] = "warn";
}

void FleetTest::create_fleet(int local, int keycloak) {
  create_model("e2e");
  const auto config = write_file("config.json", R"({"interval": 60, "mode": "e2e"})");
  for (const auto& [identity, count] : {std::pair{std::string("local"), local}, {"keycloak", keycloak}}) {
    const auto created = provision_json({"device", "create", "--model", "e2e", "--count",
                                         std::to_string(count), "--identity", identity, "--config", config});
    for (const auto& d : created) devices.push_back({d["key"], d["client_id"], identity});
  }
  ASSERT_EQ(devices.size(), static_cast<std::size_t>(local + keycloak));
  // Packages, as an operator writes them: four at a time.
  std::vector<std::future<RunResult>> pending;
  const auto package = [this](const FleetDevice& d) {
    std::vector<std::string> args = {"package", d.key, "--format", "json", "-o",
                                     (packages_dir / (d.key + ".json")).string()};
    if (d.identity == "keycloak") {
      args.push_back("--token-url");
      args.push_back(kc.token_url());
    }
    return provision(args);
  };
  for (std::size_t i = 0; i < devices.size(); i += 4) {
    for (std::size_t j = i; j < std::min(i + 4, devices.size()); ++j)
      pending.push_back(std::async(std::launch::async, package, devices[j]));
    for (auto& p : pending) {
      const auto r = p.get();
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    pending.clear();
  }
}

void FleetTest::upload_firmware(const std::string& version, bool pin) {
  const auto image = write_file("fw-" + version + ".bin",
                                make_esp_image({.version = version, .payload_size = 8192}));
  auto r = firmware({"upload", "--model", "e2e", image});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (!pin) return;
  r = firmware({"pin", "--model", "e2e", "--version", version});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void FleetTest::start_serve() {
  auto serve_env = env;
  for (const auto& [k, v] : kc.env()) serve_env[k] = v;  // installs Keycloak secrets in rotations
  serve_env["OIDC_ISSUER_URL"] = kc.issuer();
  serve_env["OIDC_AUDIENCE"] = kc.options().audience;
  serve_env["OIDC_TOKEN_URL"] = kc.token_url();
  serve = std::make_unique<Background>(
      bin("iot-serve"),
      std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(serve_port), "--auth",
                               "secret,jwt", "--db-role", "none", "--threads", "2", "--drain-delay",
                               "0",
                               // 200 devices share 127.0.0.1: per-address limits would throttle them
                               "--auth-fail-address-limit", "100000", "--auth-fail-device-limit",
                               "1000"},
      serve_env, std::vector<std::string>{}, (dir.path() / "serve.out").string(),
      (dir.path() / "serve.err").string());
  bool ready = false;
  for (int i = 0; i < 300 && !ready && serve->running(); ++i) {
    ready = http_get(serve_url() + "/health/ready").status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(ready && serve->running()) << "iot-serve did not become ready:\n" << serve->err();
}

RunResult FleetTest::rotate(const std::vector<std::string>& args) {
  RunOptions options;
  options.env = rotation_env;
  for (const auto& [k, v] : kc.env()) options.env[k] = v;
  return tool("iot-rotate", args, options);
}

bool FleetTest::local_accepted(const std::string& key, const std::string& secret) {
  HttpOptions o;
  o.user = key;
  o.password = secret;
  return http_get(serve_url() + "/iot/config", o).status == 200;
}

bool FleetTest::accepted(const FleetDevice& d, const std::string& secret) {
  if (secret.empty()) return false;
  if (d.identity == "keycloak") return kc.request_token(d.client_id, secret).first == 200;
  return local_accepted(d.key, secret);
}

std::string FleetTest::stored(const std::string& key, const std::string& ns, const std::string& name) {
  std::ifstream in(state_dir / key / (ns + ".json"));
  if (!in) return "";
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (!json.is_object() || !json.contains(name)) return "";
  return json[name].get<std::string>();
}

}  // namespace iotfleet::test_support
