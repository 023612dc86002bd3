#pragma once
// A fleet as an operator sets it up: a model and devices of both identity kinds (local and the
// Keycloak stand-in) made by iot-provision, their JSON packages, firmware uploaded by
// iot-firmware, and iot-serve started as a process on its own port. Services come from
// scripts/services.sh (DATABASE_URL, IOT_TEST_PG_ADMIN_URL, MQTT_URL); without them it fails.

#include <memory>
#include <string>
#include <vector>

#include "e2e/background.hpp"
#include "integration/provision/provision_fixture.hpp"
#include "support/keycloak_standin.hpp"

namespace iotfleet::test_support {

struct FleetDevice {
  std::string key;
  std::string client_id;
  std::string identity;  // local or keycloak
};

class FleetTest : public ProvisionTest {
 protected:
  FleetTest();

  /// Creates model "e2e" and `local` + `keycloak` devices; writes their packages to packages_dir.
  void create_fleet(int local, int keycloak);
  /// Uploads an ESP32 image of this version for model "e2e"; pins it when asked.
  void upload_firmware(const std::string& version, bool pin);
  /// Starts iot-serve (secret and jwt auth) and waits until it is ready.
  void start_serve();
  /// iot-rotate ARGS with the rotation settings of this test.
  RunResult rotate(const std::vector<std::string>& args);

  /// Whether iot-serve accepts this local device's secret (Basic on /iot/config).
  bool local_accepted(const std::string& key, const std::string& secret);
  /// Whether the identity provider accepts the credential of this device.
  bool accepted(const FleetDevice& device, const std::string& secret);
  /// A value from a simulated device's storage (<state>/<key>/<ns>.json), "" when absent.
  std::string stored(const std::string& key, const std::string& ns, const std::string& name);

  std::string serve_url() const { return "http://127.0.0.1:" + std::to_string(serve_port); }

  KeycloakStandin kc;
  std::string mqtt_url;
  int serve_port = 0;
  std::filesystem::path packages_dir, state_dir;
  std::vector<FleetDevice> devices;
  std::map<std::string, std::string> rotation_env;
  std::unique_ptr<Background> serve;
};

}  // namespace iotfleet::test_support
