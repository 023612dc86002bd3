#pragma once
// Tells a device that its rotation started: a retained QoS 1 message on
// iotsupport/<client_id>/rotation (mqtt/topics.hpp), cleared when the rotation completes. MQTT
// only speeds things up: devices also learn it from /iot/config, so callers report a failed
// notice and carry on.

#include <memory>
#include <string>

#include "core/error.hpp"
#include "mqtt/publisher.hpp"

namespace iotfleet::rotation {

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual core::Status announce(const std::string& client_id, const std::string& device_key,
                                const std::string& issued_at_iso) = 0;
  virtual core::Status clear(const std::string& client_id) = 0;
};

/// Publishes through one connection made on first use; after a failure it reconnects once per
/// call, so one run against a broker that is down costs one connection timeout per notice.
class MqttNotifier final : public Notifier {
 public:
  explicit MqttNotifier(mqtt::Settings settings) : settings_(std::move(settings)) {}
  core::Status announce(const std::string& client_id, const std::string& device_key,
                        const std::string& issued_at_iso) override;
  core::Status clear(const std::string& client_id) override;

 private:
  core::Status with_publisher(const std::function<core::Status(mqtt::Publisher&)>& fn);
  mqtt::Settings settings_;
  std::unique_ptr<mqtt::Publisher> publisher_;
};

/// For set-ups without a broker (no MQTT_URL): every call succeeds and sends nothing.
class NoNotifier final : public Notifier {
 public:
  core::Status announce(const std::string&, const std::string&, const std::string&) override {
    return core::ok_status();
  }
  core::Status clear(const std::string&) override { return core::ok_status(); }
};

}  // namespace iotfleet::rotation
