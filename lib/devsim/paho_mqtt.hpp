#pragma once
// The device core's Mqtt port over lib/mqtt's paho subscriber: messages arrive on paho's thread,
// wait in the subscriber's queue, and reach the core only from poll(), on the device's worker.

#include <chrono>
#include <memory>

#include "iot_device/ports.hpp"

namespace iotfleet::mqtt {
class Subscriber;
}

namespace iotfleet::devsim {

class PahoMqtt final : public iot_device::Mqtt {
 public:
  explicit PahoMqtt(std::chrono::milliseconds timeout);
  ~PahoMqtt();
  PahoMqtt(const PahoMqtt&) = delete;
  PahoMqtt& operator=(const PahoMqtt&) = delete;

  iot_device::NetResult connect(const Options& options) override;
  bool connected() override;
  iot_device::NetResult subscribe(std::string_view topic_filter) override;
  void poll(iot_device::MqttListener& listener) override;
  void disconnect() override;

 private:
  std::chrono::milliseconds timeout_;
  std::unique_ptr<mqtt::Subscriber> subscriber_;
  bool lost_ = false;
};

}  // namespace iotfleet::devsim
