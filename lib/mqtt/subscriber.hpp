#pragma once
// A small synchronous subscriber (tests, diagnostics): subscribe to filters, then wait for the
// next messages. Messages arriving in between are queued in memory, in arrival order.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mqtt/settings.hpp"

namespace iotfleet::mqtt {

namespace detail {
class Connection;
}

struct Message {
  std::string topic;
  std::string payload;
  bool retained = false;  // delivered from the broker's retained store, not published just now
  int qos = 0;
};

class Subscriber {
 public:
  /// Connects as Publisher::connect does, with the same errors. Give it a client id of its own
  /// (Settings::client_id): a second connection with the same id makes the broker drop the first.
  static core::Result<std::unique_ptr<Subscriber>> connect(const Settings& settings,
                                                           std::chrono::milliseconds timeout);
  ~Subscriber();
  /// Disconnects now (see detail::Connection::close); the object is unusable afterwards.
  void close();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  /// Subscribes and waits for the broker's acknowledgement. An invalid filter is
  /// ErrorKind::failure; a refusal by the broker is failure; a lost connection unavailable.
  /// Mosquitto 2.0 does not refuse what its ACL forbids: it acknowledges, then delivers nothing.
  core::Status subscribe(const std::string& filter, int qos = 1);

  /// The next message, or nullopt when none arrives within `timeout`.
  core::Result<std::optional<Message>> next(std::chrono::milliseconds timeout);

  /// Messages arriving until `max_count` have come or `timeout` has passed, in arrival order.
  core::Result<std::vector<Message>> collect(std::size_t max_count,
                                             std::chrono::milliseconds timeout);

 private:
  explicit Subscriber(std::unique_ptr<detail::Connection> conn);
  std::unique_ptr<detail::Connection> conn_;
};

}  // namespace iotfleet::mqtt
