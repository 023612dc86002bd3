#include "mqtt/subscriber.hpp"

#include <MQTTClient.h>

#include "mqtt/connection.hpp"
#include "mqtt/topics.hpp"

namespace iotfleet::mqtt {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

core::Result<std::unique_ptr<Subscriber>> Subscriber::connect(const Settings& settings,
                                                              milliseconds timeout) {
  auto conn = detail::Connection::open(settings, timeout);
  if (!conn) return conn.error();
  return std::unique_ptr<Subscriber>(new Subscriber(std::move(*conn)));
}

Subscriber::Subscriber(std::unique_ptr<detail::Connection> conn) : conn_(std::move(conn)) {}
Subscriber::~Subscriber() = default;

void Subscriber::close() { conn_->close(); }

core::Status Subscriber::subscribe(const std::string& filter, int qos) {
  if (auto s = validate_topic_filter(filter); !s) return s;
  if (qos < 0 || qos > 2)
    return core::Error::failure("MQTT QoS " + std::to_string(qos) + " is not 0, 1 or 2");
  const int rc = MQTTClient_subscribe(conn_->handle(), filter.c_str(), qos);
  if (rc == MQTT_BAD_SUBSCRIBE)
    return core::Error::failure(
        "MQTT broker " + conn_->broker() + " refused the subscription to '" + filter + "'",
        "check the ACL of MQTT_USERNAME");
  if (rc != MQTTCLIENT_SUCCESS) return conn_->error(rc, "subscribing to '" + filter + "'");
  return core::ok_status();
}

core::Result<std::optional<Message>> Subscriber::next(milliseconds timeout) {
  Message m;
  switch (conn_->wait_message(timeout, m)) {
    case detail::Connection::Wait::done:
      return std::optional<Message>(std::move(m));
    case detail::Connection::Wait::timed_out:
      return std::optional<Message>();
    case detail::Connection::Wait::disconnected:
      break;
  }
  return conn_->error(MQTTCLIENT_DISCONNECTED, "waiting for messages");
}

core::Result<std::vector<Message>> Subscriber::collect(std::size_t max_count,
                                                       milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  std::vector<Message> out;
  while (out.size() < max_count) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) break;
    auto m = next(left);
    if (!m) return m.error();
    if (!*m) break;
    out.push_back(std::move(**m));
  }
  return out;
}

}  // namespace iotfleet::mqtt
