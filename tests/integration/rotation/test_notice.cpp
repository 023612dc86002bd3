// The rotation notice on the real Mosquitto that scripts/services.sh started: retained, so a
// device that connects later still sees it, and cleared when the rotation completes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mqtt/subscriber.hpp"
#include "mqtt/topics.hpp"
#include "../mqtt/broker.hpp"
#include "rotation_fixture.hpp"

namespace iotfleet::test_support {
namespace {

constexpr std::chrono::milliseconds kWait{3000};

class NoticeTest : public RotationTest {
 protected:
  mqtt::Settings settings_for(const std::string& role) {
    return mqtt_settings({{"MQTT_URL", shared_mqtt_url()},
                          {"MQTT_CLIENT_ID", "rot-" + unique_suffix() + "-" + role}});
  }
  std::optional<mqtt::Message> retained_on(const std::string& topic, std::chrono::milliseconds wait) {
    auto sub = mqtt::Subscriber::connect(settings_for("sub"), kWait).take();
    core::check(sub->subscribe(topic));
    return sub->next(wait).take();
  }
};

TEST_F(NoticeTest, ARetainedNoticeAnnouncesTheRotationAndIsClearedOnCompletion) {
  const auto key = create_devices(1)[0];
  const auto client_id = "iotdevice-m-" + key;
  const auto topic = mqtt::rotation_topic(client_id).take();
  rotation::MqttNotifier mqtt_notifier(settings_for("pub"));
  trigger(key);
  rotation::CycleContext ctx{db.conn(), installer, mqtt_notifier, box, clock, "test", {}};
  const auto summary = rotation::run_cycle(ctx, settings).take();
  ASSERT_EQ(summary.started, 1);
  EXPECT_TRUE(summary.problems.empty());

  const auto notice = retained_on(topic, kWait);
  ASSERT_TRUE(notice.has_value()) << "no retained notice on " << topic;
  EXPECT_TRUE(notice->retained);
  const auto payload = nlohmann::json::parse(notice->payload);
  EXPECT_EQ(payload["client_id"], client_id);
  EXPECT_EQ(payload["device_key"], key);
  EXPECT_EQ(payload["kind"], "rotation");
  EXPECT_EQ(notice->payload.find(current_secret(key)), std::string::npos);

  const auto issued = provisioning(key).take();
  ASSERT_TRUE(complete_basic(key, issued.secret).take());
  ASSERT_TRUE(mqtt_notifier.clear(client_id));
  EXPECT_FALSE(retained_on(topic, std::chrono::milliseconds(700)).has_value())
      << "the notice is still retained after completion";
}

TEST_F(NoticeTest, ABrokerThatIsDownMakesTheRunReportItAndContinue) {
  const auto keys = create_devices(2);
  rotation::MqttNotifier down(mqtt_settings({{"MQTT_URL", "mqtt://127.0.0.1:" + std::to_string(unused_port())}}));
  for (const auto& k : keys) trigger(k);
  settings.max_in_flight = 2;
  rotation::CycleContext ctx{db.conn(), installer, down, box, clock, "test", {}};
  const auto summary = rotation::run_cycle(ctx, settings).take();
  EXPECT_EQ(summary.started, 2);
  EXPECT_TRUE(summary.dependency_unavailable);
  EXPECT_EQ(summary.problems.size(), 2u);
}

}  // namespace
}  // namespace iotfleet::test_support
