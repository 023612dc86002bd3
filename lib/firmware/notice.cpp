#include "firmware/notice.hpp"

#include "core/clock.hpp"
#include "mqtt/notices.hpp"
#include "mqtt/topics.hpp"

namespace iotfleet::firmware {

core::Status MqttNotifier::firmware_changed(const store::FirmwareVersion& serving) {
  return core::capture([&] {
    const auto topic = mqtt::model_firmware_topic(serving.model_code).take();
    const auto payload =
        mqtt::firmware_notice(serving.model_code, serving.version, serving.sha256, core::utc_now_iso()).take();
    if (!publisher_) publisher_ = mqtt::Publisher::connect(settings_, std::chrono::seconds(5)).take();
    core::check(publisher_->publish(topic, payload, 1, /*retained=*/true));
  });
}

}  // namespace iotfleet::firmware
