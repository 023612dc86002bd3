#pragma once
// Internal to lib/mqtt: one connected paho-mqtt-c synchronous client (MQTTClient), shared by
// Publisher and Subscriber, so <MQTTClient.h> stays out of the public headers.

#include <chrono>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "mqtt/settings.hpp"

namespace iotfleet::mqtt {

struct Message;

/// Words for a paho MQTTCLIENT_* return code or an MQTT 3.1.1 CONNACK code (1-5), e.g.
/// "connection refused: not authorized". paho's own MQTTClient_strerror knows no CONNACK code.
std::string describe_return_code(int rc);

}  // namespace iotfleet::mqtt

namespace iotfleet::mqtt::detail {

struct SslErrors;
struct Events;

// Every client runs in paho's callback mode. The alternatives fail in a process that mixes
// them: MQTTClient_receive returns MQTTCLIENT_FAILURE once any client has set callbacks (paho
// then runs one background thread for all), and MQTTClient_waitForCompletion polls in 100 ms
// steps, so every QoS 1 publish would take at least 100 ms.
class Connection {
 public:
  enum class Wait { done, timed_out, disconnected };

  /// Connects (MQTT 3.1.1, clean session, no persistence) within about `timeout`. A broker that
  /// cannot be reached, fails TLS or refuses the CONNECT is ErrorKind::unavailable, naming the
  /// broker (without password) and the reason.
  static core::Result<std::unique_ptr<Connection>> open(const Settings& settings,
                                                        std::chrono::milliseconds timeout);
  /// Disconnects cleanly (waiting briefly for in-flight messages) and frees the client.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void* handle() const { return handle_; }
  /// Disconnects, which stops paho's thread of this client; the destructor then only frees it.
  /// paho's clients in one process share socket state: a process with two clients must stop
  /// both threads before freeing either, or a thread still running may touch the freed one.
  void close();
  /// The broker for messages: mqtt[s]://host:port, never a password.
  const std::string& broker() const { return broker_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  /// The error for a paho call that failed after connecting: "lost the connection" kinds are
  /// ErrorKind::unavailable, others failure. `what` says what was being done.
  core::Error error(int rc, const std::string& what) const;

  /// Forgets acknowledgements nobody waits for any more. Call before each publish: paho reuses
  /// message ids, so one publish at a time.
  void forget_deliveries();
  /// Waits for the broker's acknowledgement of a publish.
  Wait wait_delivered(int token, std::chrono::milliseconds timeout);
  /// Waits for the next message of a subscription and moves it into `out`.
  Wait wait_message(std::chrono::milliseconds timeout, Message& out);

 private:
  Connection(const Settings& settings, std::chrono::milliseconds timeout);

  Settings settings_;  // paho keeps pointers into the connect options' strings
  std::string broker_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<SslErrors> ssl_errors_;
  std::unique_ptr<Events> events_;
  void* handle_ = nullptr;
};

}  // namespace iotfleet::mqtt::detail
