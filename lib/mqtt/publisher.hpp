#pragma once
// Publishing to the broker over paho-mqtt-c's synchronous client: one connection per Publisher,
// each publish waits for the broker's acknowledgement. No automatic reconnect: a lost connection
// is reported (ErrorKind::unavailable) and the caller decides; the CronJob simply runs again.
// One thread at a time: a Publisher is not meant to be shared between threads.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "mqtt/settings.hpp"

namespace iotfleet::mqtt {

namespace detail {
class Connection;
}

class Publisher {
 public:
  /// Connects within about `timeout` (paho counts whole seconds, so it is rounded up). Down,
  /// unreachable or refusing brokers, and TLS failures, are ErrorKind::unavailable with the
  /// broker URL (password redacted) and the reason, e.g. "connection refused: not authorized".
  static core::Result<std::unique_ptr<Publisher>> connect(const Settings& settings,
                                                          std::chrono::milliseconds timeout);
  /// Disconnects cleanly, letting in-flight messages complete for a short while.
  ~Publisher();
  /// Disconnects now (see detail::Connection::close); the object is unusable afterwards.
  void close();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// Publishes and, for QoS 1 and 2, waits up to the connect timeout for the acknowledgement.
  /// A topic with wildcards, NUL or invalid UTF-8, or a QoS outside 0-2, is ErrorKind::failure
  /// and nothing is sent; a lost connection or a missing acknowledgement is unavailable.
  core::Status publish(const std::string& topic, std::string_view payload, int qos = 1,
                       bool retained = false);

  /// Removes the retained message of a topic (a zero-length retained publish, QoS 1).
  core::Status clear_retained(const std::string& topic);

  /// mqtt[s]://host:port of the broker, for messages.
  const std::string& broker() const;

 private:
  explicit Publisher(std::unique_ptr<detail::Connection> conn);
  std::unique_ptr<detail::Connection> conn_;
};

}  // namespace iotfleet::mqtt
