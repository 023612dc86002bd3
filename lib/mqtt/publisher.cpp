#include "mqtt/publisher.hpp"

#include <MQTTClient.h>

#include "mqtt/connection.hpp"
#include "mqtt/topics.hpp"

namespace iotfleet::mqtt {

namespace {
constexpr std::size_t kMaxPayload = 268435455 - 65535 - 4;  // MQTT's remaining-length limit
}

core::Result<std::unique_ptr<Publisher>> Publisher::connect(const Settings& settings,
                                                            std::chrono::milliseconds timeout) {
  auto conn = detail::Connection::open(settings, timeout);
  if (!conn) return conn.error();
  return std::unique_ptr<Publisher>(new Publisher(std::move(*conn)));
}

Publisher::Publisher(std::unique_ptr<detail::Connection> conn) : conn_(std::move(conn)) {}
Publisher::~Publisher() = default;

void Publisher::close() { conn_->close(); }

const std::string& Publisher::broker() const { return conn_->broker(); }

core::Status Publisher::publish(const std::string& topic, std::string_view payload, int qos,
                                bool retained) {
  if (auto s = validate_topic_name(topic); !s) return s;
  if (qos < 0 || qos > 2)
    return core::Error::failure("MQTT QoS " + std::to_string(qos) + " is not 0, 1 or 2");
  if (payload.size() > kMaxPayload)
    return core::Error::failure("MQTT payload for '" + topic + "' is too large (" +
                                std::to_string(payload.size()) + " bytes)");
  static const char kEmpty[] = "";
  MQTTClient_deliveryToken token = 0;
  conn_->forget_deliveries();
  const int rc =
      MQTTClient_publish(conn_->handle(), topic.c_str(), static_cast<int>(payload.size()),
                         payload.empty() ? kEmpty : payload.data(), qos, retained ? 1 : 0, &token);
  if (rc != MQTTCLIENT_SUCCESS) return conn_->error(rc, "publishing to '" + topic + "'");
  if (qos == 0) return core::ok_status();
  switch (conn_->wait_delivered(token, conn_->timeout())) {
    case detail::Connection::Wait::done:
      return core::ok_status();
    case detail::Connection::Wait::disconnected:
      return conn_->error(MQTTCLIENT_DISCONNECTED, "publishing to '" + topic + "'");
    case detail::Connection::Wait::timed_out:
      break;
  }
  return core::Error::unavailable("no acknowledgement from MQTT broker " + conn_->broker() +
                                      " for '" + topic + "' within " +
                                      std::to_string(conn_->timeout().count()) + " ms",
                                  "retry is safe: a repeated notice replaces the retained one");
}

core::Status Publisher::clear_retained(const std::string& topic) {
  return publish(topic, {}, 1, true);
}

}  // namespace iotfleet::mqtt
