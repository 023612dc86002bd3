#pragma once
// Announces firmware changes on MQTT: one retained notice per model on
// iotsupport/models/<model>/firmware, so a device (or one that reconnects later) learns which
// version its model now gets without a message per device. Devices also poll
// /iot/firmware-version, so MQTT speeds things up but is never required.

#include <memory>
#include <optional>

#include "firmware/catalog.hpp"
#include "mqtt/publisher.hpp"

namespace iotfleet::firmware {

class MqttNotifier final : public Notifier {
 public:
  /// Connects on the first announcement, not before: commands that change nothing never do.
  explicit MqttNotifier(mqtt::Settings settings) : settings_(std::move(settings)) {}
  core::Status firmware_changed(const store::FirmwareVersion& serving) override;

 private:
  mqtt::Settings settings_;
  std::unique_ptr<mqtt::Publisher> publisher_;
};

}  // namespace iotfleet::firmware
