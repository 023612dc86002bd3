#pragma once
// The toolkit's MQTT topic names (specs/platform.md, specs/rotation.md) and the checks that keep
// an identifier from escaping its level: a client id "a/#" must never widen a topic or an ACL.
// Invalid input is ErrorKind::failure naming what was wrong.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace iotfleet::mqtt {

/// One topic level built from an identifier: not empty, valid UTF-8, and without '+', '#', '/'
/// or NUL. `what` names the identifier in the message ("client id").
core::Status validate_topic_component(std::string_view what, std::string_view value);

/// A topic to publish to: 1 to 65535 bytes of UTF-8, no wildcards ('+', '#'), no NUL.
core::Status validate_topic_name(std::string_view topic);

/// A subscription filter: as a topic name, but '+' may fill a whole level and '#' may be the
/// whole last level.
core::Status validate_topic_filter(std::string_view filter);

/// iotsupport/<client_id>/rotation: the retained rotation notice of one device.
core::Result<std::string> rotation_topic(std::string_view client_id);
/// iotsupport/<client_id>/firmware: a firmware notice for one device.
core::Result<std::string> firmware_topic(std::string_view client_id);
/// iotsupport/models/<model_code>/firmware: a firmware notice for every device of a model.
core::Result<std::string> model_firmware_topic(std::string_view model_code);

/// What a device may read (subscribe to) and write (publish to), as ACL patterns.
struct TopicSet {
  std::vector<std::string> read;
  std::vector<std::string> write;
};

/// A device's topics (specs/platform.md, issue 7), the one definition the dynamic-security role
/// and the ACL file both use: write sensors/<key>/# and devices/<key>/status; read
/// commands/<key>/#, broadcast/#, its own notices iotsupport/<client_id>/#, and
/// iotsupport/models/<model>/firmware when model_code is not empty. Data topics are keyed by the
/// device key (what operators and dashboards know), notices by the client id (its MQTT identity).
core::Result<TopicSet> device_topics(std::string_view key, std::string_view client_id,
                                     std::string_view model_code = {});

}  // namespace iotfleet::mqtt
