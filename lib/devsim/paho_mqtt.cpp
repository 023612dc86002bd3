#include "devsim/paho_mqtt.hpp"

#include <string>

#include "mqtt/settings.hpp"
#include "mqtt/subscriber.hpp"

namespace iotfleet::devsim {

using iot_device::NetResult;

PahoMqtt::PahoMqtt(std::chrono::milliseconds timeout) : timeout_(timeout) {}
PahoMqtt::~PahoMqtt() = default;

NetResult PahoMqtt::connect(const Options& options) {
  subscriber_.reset();
  lost_ = false;
  auto broker = mqtt::parse_broker_url(options.url);
  if (!broker) return NetResult::unreachable;
  mqtt::Settings settings;
  settings.broker = std::move(*broker);
  settings.client_id = std::string(options.client_id);
  settings.username = std::string(options.username);
  if (!options.password.empty()) settings.password = std::string(options.password);
  auto connected = mqtt::Subscriber::connect(settings, timeout_);
  if (!connected) return NetResult::unreachable;
  subscriber_ = std::move(*connected);
  return NetResult::ok;
}

bool PahoMqtt::connected() { return subscriber_ && !lost_; }

NetResult PahoMqtt::subscribe(std::string_view topic_filter) {
  if (!connected()) return NetResult::unreachable;
  if (!subscriber_->subscribe(std::string(topic_filter), 1)) {
    lost_ = true;
    return NetResult::unreachable;
  }
  return NetResult::ok;
}

void PahoMqtt::poll(iot_device::MqttListener& listener) {
  while (connected()) {
    auto next = subscriber_->next(std::chrono::milliseconds(0));
    if (!next) {
      lost_ = true;
      return;
    }
    if (!*next) return;
    listener.on_message((*next)->topic, (*next)->payload);
  }
}

void PahoMqtt::disconnect() {
  subscriber_.reset();
  lost_ = false;
}

}  // namespace iotfleet::devsim
