// `iot-provision mqtt sync` against a real Mosquitto running the dynamic-security plugin: a
// synced device connects with its package's credentials and may publish to its own topics only;
// a second sync changes nothing; after `device delete` and a sync it is refused.
#include <gtest/gtest.h>

#include "../mqtt/broker.hpp"
#include "integration/provision/provision_fixture.hpp"
#include "mosquitto.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/subscriber.hpp"

namespace iotfleet::test_support {
namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 5s;
constexpr const char* kAdminPassword = "dynsec admin password";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class BrokerDynsec : public ProvisionTest {
 protected:
  nlohmann::json sync() {
    RunOptions options;
    options.env = {{"MQTT_URL", url},
                   {"MQTT_USERNAME", "admin"},
                   {"MQTT_PASSWORD", kAdminPassword},
                   {"MQTT_CLIENT_ID", "sync"}};
    const auto r = provision({"mqtt", "sync", "--output", "json"}, options);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }
  mqtt::Settings as(const std::string& user, const std::string& password, const std::string& id) {
    return mqtt_settings({{"MQTT_URL", url},
                          {"MQTT_USERNAME", user},
                          {"MQTT_PASSWORD", password},
                          {"MQTT_CLIENT_ID", id}});
  }
  std::uint16_t port = unused_port();
  std::string url = "mqtt://127.0.0.1:" + std::to_string(port);
};

TEST_F(BrokerDynsec, SyncedDevicesConnectToTheirOwnTopicsAndDeletedOnesAreRefused) {
  create_model("sensor");
  const auto keys = create_devices("sensor", 2);
  ASSERT_EQ(keys.size(), 2u);
  std::map<std::string, nlohmann::json> package;
  for (const auto& key : keys) {
    const auto r = provision({"package", key});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    package[key] = nlohmann::json::parse(r.out);
  }
  const std::string a = keys[0], b = keys[1];
  const std::string a_user = package[a]["client_id"], a_pass = package[a]["client_secret"];
  const std::string b_user = package[b]["client_id"], b_pass = package[b]["client_secret"];

  const auto broker = start_dynsec_broker(dir.path() / "broker", port, kAdminPassword);

  // Before the sync nobody but the admin gets in.
  ASSERT_FALSE(mqtt::Publisher::connect(as(a_user, a_pass, "early"), kTimeout).ok());
  auto first = sync();
  EXPECT_EQ(first["created"].size(), 2u) << first.dump();
  EXPECT_EQ(first["unchanged"], 0);

  auto observer = mqtt::Subscriber::connect(as("admin", kAdminPassword, "observer"), kTimeout);
  ASSERT_TRUE(observer.ok()) << observer.error().message;
  ASSERT_TRUE((*observer)->subscribe("sensors/#").ok());
  ASSERT_TRUE((*observer)->subscribe("devices/#").ok());

  auto wrong = mqtt::Publisher::connect(as(a_user, b_pass, "wrong"), kTimeout);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(contains(wrong.error().message, "not authorized")) << wrong.error().message;

  auto pub = mqtt::Publisher::connect(as(a_user, a_pass, a_user), kTimeout);
  ASSERT_TRUE(pub.ok()) << pub.error().message << "\n" << broker->log();
  for (const std::string& topic : {"sensors/" + b + "/t", "devices/" + b + "/status",
                                   "sensors/" + a + "/t", "devices/" + a + "/status"})
    ASSERT_TRUE((*pub)->publish(topic, "from a").ok()) << topic;
  auto seen = (*observer)->collect(4, 1500ms);
  ASSERT_TRUE(seen.ok());
  std::vector<std::string> topics;
  for (const auto& m : *seen) topics.push_back(m.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"sensors/" + a + "/t", "devices/" + a + "/status"}));

  // A second sync changes nothing, and the connected device stays connected.
  auto second = sync();
  EXPECT_EQ(second["created"].size(), 0u) << second.dump();
  EXPECT_EQ(second["updated"].size(), 0u);
  EXPECT_EQ(second["unchanged"], 2);
  EXPECT_TRUE((*pub)->publish("sensors/" + a + "/t2", "still here").ok());

  ASSERT_TRUE(mqtt::Publisher::connect(as(b_user, b_pass, "b-before"), kTimeout).ok());
  ASSERT_EQ(provision({"device", "delete", b}).exit_code, 0);
  auto third = sync();
  EXPECT_EQ(third["removed"], nlohmann::json::array({b_user})) << third.dump();
  auto refused = mqtt::Publisher::connect(as(b_user, b_pass, "b-after"), kTimeout);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().message, "not authorized")) << refused.error().message;
  EXPECT_TRUE(mqtt::Publisher::connect(as(a_user, a_pass, "a-after"), kTimeout).ok());
}

TEST_F(BrokerDynsec, DeviceCommandsKeepTheBrokerInStepWithoutASync) {
  const auto broker = start_dynsec_broker(dir.path() / "broker", port, kAdminPassword);
  RunOptions options;
  options.env = {{"MQTT_URL", url},
                 {"MQTT_USERNAME", "admin"},
                 {"MQTT_PASSWORD", kAdminPassword},
                 {"MQTT_CLIENT_ID", "provision"},
                 {"MQTT_IDENTITIES", "dynsec"}};
  create_model("sensor");
  const auto created =
      provision({"device", "create", "--model", "sensor", "--count", "2", "--output", "json"},
                options);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::vector<std::string> keys;
  for (const auto& d : nlohmann::json::parse(created.out)) keys.push_back(d["key"]);
  ASSERT_EQ(keys.size(), 2u);
  std::map<std::string, nlohmann::json> package;
  for (const auto& key : keys) package[key] = nlohmann::json::parse(provision({"package", key}).out);
  const auto connects = [&](const std::string& key, const std::string& id) {
    return mqtt::Publisher::connect(
               as(package[key]["client_id"], package[key]["client_secret"], id), kTimeout)
        .ok();
  };
  EXPECT_TRUE(connects(keys[0], "a1"));  // no `mqtt sync` in between
  EXPECT_TRUE(connects(keys[1], "b1"));

  ASSERT_EQ(provision({"device", "deactivate", keys[0]}, options).exit_code, 0);
  EXPECT_FALSE(connects(keys[0], "a2"));
  ASSERT_EQ(provision({"device", "activate", keys[0]}, options).exit_code, 0);
  EXPECT_TRUE(connects(keys[0], "a3"));
  ASSERT_EQ(provision({"device", "delete", keys[1]}, options).exit_code, 0);
  EXPECT_FALSE(connects(keys[1], "b2"));

  // Nothing left for a full sync to do.
  auto after = sync();
  EXPECT_EQ(after["created"].size(), 0u) << after.dump();
  EXPECT_EQ(after["updated"].size(), 0u);
  EXPECT_EQ(after["removed"].size(), 0u);
  EXPECT_EQ(after["unchanged"], 1);
}

TEST_F(BrokerDynsec, ADeviceCreatedWhileTheBrokerIsDownIsKeptAndTheRepairNamed) {
  create_model("sensor");
  RunOptions options;
  options.env = {{"MQTT_URL", url}, {"MQTT_CLIENT_ID", "provision"}, {"MQTT_IDENTITIES", "dynsec"}};
  const auto r = provision({"device", "create", "--model", "sensor", "--mqtt-timeout", "1"}, options);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "changed in the database, but not on the MQTT broker")) << r.err;
  EXPECT_TRUE(contains(r.err, "iot-provision mqtt sync")) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 1);

  options.env["MQTT_IDENTITIES"] = "files";
  const auto bad = provision({"device", "create", "--model", "sensor"}, options);
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(contains(bad.err, "MQTT_IDENTITIES is 'files'")) << bad.err;
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 1);  // refused before any change
}

TEST_F(BrokerDynsec, ABrokerWithoutThePluginIsUnavailable) {
  create_model("sensor");
  create_devices("sensor", 1);
  const auto broker_dir = dir.path() / "plain";
  std::filesystem::create_directories(broker_dir);
  Mosquitto broker(broker_dir,
                   "listener " + std::to_string(port) + " 127.0.0.1\nallow_anonymous true\n",
                   {port});
  RunOptions options;
  options.env = {{"MQTT_URL", url}, {"MQTT_CLIENT_ID", "sync"}};
  const auto r = provision({"mqtt", "sync", "--mqtt-timeout", "2"}, options);
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "dynamic-security plugin did not answer")) << r.err;
}

}  // namespace
}  // namespace iotfleet::test_support
