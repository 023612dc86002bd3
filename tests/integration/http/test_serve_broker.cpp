// MQTT_IDENTITIES=dynsec: when a device completes its rotation, iot-serve sets its new secret as
// its password on a real Mosquitto running the dynamic-security plugin, before answering, so the
// device's next MQTT connection with the new secret is accepted and the old secret is refused.
#include <gtest/gtest.h>

#include "fleet/broker_sync.hpp"
#include "idp/provider.hpp"
#include "integration/http/serve_fixture.hpp"
#include "integration/mqtt/broker.hpp"
#include "integration/pki/mosquitto.hpp"
#include "mqtt/dynsec.hpp"
#include "mqtt/publisher.hpp"
#include "store/rotation.hpp"
#include "test_support/process.hpp"

namespace iotfleet::test_support {
namespace {

using namespace std::chrono_literals;
constexpr const char* kAdminPassword = "dynsec admin password";

class ServeBroker : public ServeTest {
 protected:
  void SetUp() override {
    key = create_local_devices("env_sensor", 1)[0];
    client_id = db.scalar("SELECT client_id FROM devices WHERE key = '" + key + "'");
    broker = start_dynsec_broker(dir.path() / "broker", port, kAdminPassword);
  }
  std::map<std::string, std::string> admin_env(const std::string& id) const {
    return {{"MQTT_URL", url_}, {"MQTT_USERNAME", "admin"}, {"MQTT_PASSWORD", kAdminPassword},
            {"MQTT_CLIENT_ID", id}};
  }
  bool device_connects(const std::string& password, const std::string& id) {
    return mqtt::Publisher::connect(
               mqtt_settings({{"MQTT_URL", url_}, {"MQTT_USERNAME", client_id},
                              {"MQTT_PASSWORD", password}, {"MQTT_CLIENT_ID", id}}),
               5s)
        .ok();
  }
  std::string begin_rotation() {
    const std::string secret = idp::generate_secret();
    pqxx::work tx(db.conn());
    store::RotationRepository repo(tx);
    const auto row = repo.lock(key);
    repo.start(row->id, box.seal(secret, idp::device_secret_context(key)),
               core::utc_now_iso(true));
    tx.commit();
    return secret;
  }

  std::string key, client_id;
  std::uint16_t port = unused_port();
  std::string url_ = "mqtt://127.0.0.1:" + std::to_string(port);
  std::unique_ptr<Mosquitto> broker;
};

TEST_F(ServeBroker, ACompletedRotationSetsTheNewPasswordOnTheBroker) {
  {
    auto admin = mqtt::DynsecClient::connect(mqtt_settings(admin_env("setup")), 5s);
    ASSERT_TRUE(admin.ok()) << admin.error().message;
    auto synced = fleet::sync_broker_identities(session, box, **admin);
    ASSERT_TRUE(synced.ok()) << synced.error().message;
    ASSERT_EQ(synced->created, std::vector<std::string>{client_id});
  }
  const std::string old_secret = secrets.at(key);
  ASSERT_TRUE(device_connects(old_secret, "before"));

  auto settings = admin_env("iot-serve");
  settings["MQTT_IDENTITIES"] = "dynsec";
  start(settings);
  const std::string fresh = begin_rotation();
  ASSERT_TRUE(
      eventually([&] { return get("/iot/config", as(key)).header("x-rotation") == "pending"; }));
  ASSERT_EQ(get("/iot/provisioning", as(key)).status, 200);
  // Issued but not proven: the broker still knows only the old secret.
  EXPECT_TRUE(device_connects(old_secret, "issued-old"));
  EXPECT_FALSE(device_connects(fresh, "issued-new"));

  HttpOptions with_new;
  with_new.user = key;
  with_new.password = fresh;
  ASSERT_EQ(get("/iot/config", with_new).status, 200);
  // Completed: by the time the device heard 200, the broker has the new secret.
  EXPECT_TRUE(device_connects(fresh, "after-new"));
  EXPECT_FALSE(device_connects(old_secret, "after-old"));
}

TEST_F(ServeBroker, ABrokerThatIsDownDoesNotStopTheRotation) {
  broker.reset();
  auto settings = admin_env("iot-serve");
  settings["MQTT_IDENTITIES"] = "dynsec";
  start(settings);
  const std::string fresh = begin_rotation();
  ASSERT_TRUE(
      eventually([&] { return get("/iot/config", as(key)).header("x-rotation") == "pending"; }));
  ASSERT_EQ(get("/iot/provisioning", as(key)).status, 200);
  HttpOptions with_new;
  with_new.user = key;
  with_new.password = fresh;
  EXPECT_EQ(get("/iot/config", with_new).status, 200);
  EXPECT_EQ(db.scalar("SELECT rotation_state FROM devices WHERE key = '" + key + "'"), "OK");
}

TEST_F(ServeBroker, AnUnknownIdentitiesModeIsASettingsError) {
  auto settings = admin_env("iot-serve");
  settings["MQTT_IDENTITIES"] = "files";
  for (auto& [k, v] : settings) env[k] = v;
  const core::Config config([copy = env](const std::string& name) -> std::optional<std::string> {
    const auto it = copy.find(name);
    if (it == copy.end()) return std::nullopt;
    return it->second;
  });
  auto created = http::Service::create(config);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().message.find("MQTT_IDENTITIES is 'files'"), std::string::npos)
      << created.error().message;
}

}  // namespace
}  // namespace iotfleet::test_support
