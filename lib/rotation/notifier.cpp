#include "rotation/notifier.hpp"

#include "mqtt/notices.hpp"
#include "mqtt/topics.hpp"

namespace iotfleet::rotation {

namespace {
constexpr std::chrono::milliseconds kConnectTimeout{3000};
}

core::Status MqttNotifier::with_publisher(const std::function<core::Status(mqtt::Publisher&)>& fn) {
  if (!publisher_) {
    auto connected = mqtt::Publisher::connect(settings_, kConnectTimeout);
    if (!connected) return connected.error();
    publisher_ = std::move(connected.value());
  }
  auto status = fn(*publisher_);
  if (!status && status.error().kind == core::ErrorKind::unavailable) publisher_.reset();
  return status;
}

core::Status MqttNotifier::announce(const std::string& client_id, const std::string& device_key,
                                    const std::string& issued_at_iso) {
  auto topic = mqtt::rotation_topic(client_id);
  if (!topic) return topic.error();
  auto payload = mqtt::rotation_notice(client_id, device_key, issued_at_iso);
  if (!payload) return payload.error();
  return with_publisher([&](mqtt::Publisher& p) {
    return p.publish(topic.value(), payload.value(), 1, /*retained=*/true);
  });
}

core::Status MqttNotifier::clear(const std::string& client_id) {
  auto topic = mqtt::rotation_topic(client_id);
  if (!topic) return topic.error();
  return with_publisher([&](mqtt::Publisher& p) { return p.clear_retained(topic.value()); });
}

}  // namespace iotfleet::rotation
