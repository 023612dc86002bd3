#pragma once
// A client of Mosquitto's dynamic-security plugin (mosquitto 2.0, specs/platform.md): commands
// are JSON published to $CONTROL/dynamic-security/v1; the plugin answers each message on
// $CONTROL/dynamic-security/v1/response with one response per command, matched here by
// correlationData. Clients, roles and ACLs change at run time, no broker restart.

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "mqtt/settings.hpp"

namespace iotfleet::mqtt {

class Publisher;
class Subscriber;

inline constexpr std::string_view kDynsecTopic = "$CONTROL/dynamic-security/v1";

/// One command's answer: `error` is the plugin's message ("Client not found"), or empty.
struct DynsecResponse {
  std::string command;
  std::string error;
  nlohmann::json data;  // listClients, getClient, getRole: the "data" object
  bool ok() const { return error.empty(); }
};

class DynsecClient {
 public:
  /// Connects twice with the admin's settings (a publisher, and a subscriber to the response
  /// topic, client id "<id>-resp"). The admin needs the plugin's admin role.
  static core::Result<std::unique_ptr<DynsecClient>> connect(const Settings& admin,
                                                             std::chrono::milliseconds timeout);
  ~DynsecClient();

  /// Sends the commands in one message and returns their responses in order. A broker without
  /// the plugin (or an admin without rights) never answers: ErrorKind::unavailable after the
  /// timeout, saying so.
  core::Result<std::vector<DynsecResponse>> execute(const std::vector<nlohmann::json>& commands);

 private:
  DynsecClient(std::unique_ptr<Publisher> pub, std::unique_ptr<Subscriber> sub,
               std::chrono::milliseconds timeout);
  std::unique_ptr<Publisher> pub_;
  std::unique_ptr<Subscriber> sub_;
  std::chrono::milliseconds timeout_;
  unsigned long next_id_ = 1;
};

/// The role of a device, "device-<client_id>": publish to sensors/<key>/# and
/// devices/<key>/status; subscribe to commands/<key>/#, broadcast/#, iotsupport/<client_id>/#
/// and iotsupport/models/<model>/firmware. Fails when an identifier could escape its level.
core::Result<nlohmann::json> device_role_command(const std::string& key,
                                                 const std::string& client_id,
                                                 const std::string& model_code);
std::string device_role_name(const std::string& client_id);

}  // namespace iotfleet::mqtt
