#include "mqtt/topics.hpp"

#include <cstdint>

namespace iotfleet::mqtt {
namespace {

constexpr std::size_t kMaxTopic = 65535;

// Strict UTF-8 (no overlong forms, no surrogates), as MQTT 3.1.1 §1.5.3 requires.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else
      return false;
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return out + "'";
}

core::Status check_common(std::string_view kind, std::string_view topic) {
  if (topic.empty()) return core::Error::failure("MQTT " + std::string(kind) + " is empty");
  if (topic.size() > kMaxTopic)
    return core::Error::failure("MQTT " + std::string(kind) + " is longer than 65535 bytes");
  if (topic.find('\0') != std::string_view::npos)
    return core::Error::failure("MQTT " + std::string(kind) + " " + quoted(topic) +
                                " contains NUL");
  if (!valid_utf8(topic))
    return core::Error::failure("MQTT " + std::string(kind) + " " + quoted(topic) +
                                " is not valid UTF-8");
  return core::ok_status();
}

core::Result<std::string> join(std::string_view what, std::string_view id, std::string_view prefix,
                               std::string_view suffix) {
  if (auto s = validate_topic_component(what, id); !s) return s.error();
  return std::string(prefix) + std::string(id) + std::string(suffix);
}

}  // namespace

core::Status validate_topic_component(std::string_view what, std::string_view value) {
  if (value.empty())
    return core::Error::failure(std::string(what) + " is empty: it cannot be an MQTT topic level");
  if (value.find_first_of(std::string_view("+#/\0", 4)) != std::string_view::npos)
    return core::Error::failure(std::string(what) + " " + quoted(value) +
                                " cannot be an MQTT topic level: it contains '+', '#', '/' or NUL");
  if (!valid_utf8(value))
    return core::Error::failure(std::string(what) + " " + quoted(value) + " is not valid UTF-8");
  return core::ok_status();
}

core::Status validate_topic_name(std::string_view topic) {
  if (auto s = check_common("topic", topic); !s) return s;
  if (topic.find_first_of("+#") != std::string_view::npos)
    return core::Error::failure(
        "MQTT topic " + quoted(topic) +
        " contains a wildcard ('+' or '#'): a message needs a concrete topic");
  return core::ok_status();
}

core::Status validate_topic_filter(std::string_view filter) {
  if (auto s = check_common("topic filter", filter); !s) return s;
  std::size_t start = 0;
  while (true) {
    const auto slash = filter.find('/', start);
    const std::string_view level =
        filter.substr(start, slash == std::string_view::npos ? filter.npos : slash - start);
    const bool last = slash == std::string_view::npos;
    if (level.find_first_of("+#") != std::string_view::npos && level != "+" && level != "#")
      return core::Error::failure("MQTT topic filter " + quoted(filter) +
                                  ": a wildcard must fill a whole level ('a/+/c', 'a/#')");
    if (level == "#" && !last)
      return core::Error::failure("MQTT topic filter " + quoted(filter) +
                                  ": '#' must be the last level");
    if (last) break;
    start = slash + 1;
  }
  return core::ok_status();
}

core::Result<std::string> rotation_topic(std::string_view client_id) {
  return join("client id", client_id, "iotsupport/", "/rotation");
}

core::Result<std::string> firmware_topic(std::string_view client_id) {
  return join("client id", client_id, "iotsupport/", "/firmware");
}

core::Result<std::string> model_firmware_topic(std::string_view model_code) {
  return join("model code", model_code, "iotsupport/models/", "/firmware");
}

core::Result<TopicSet> device_topics(std::string_view key, std::string_view client_id,
                                     std::string_view model_code) {
  if (auto s = validate_topic_component("device key", key); !s) return s.error();
  if (auto s = validate_topic_component("client id", client_id); !s) return s.error();
  const std::string k(key), id(client_id);
  TopicSet set;
  set.write = {"sensors/" + k + "/#", "devices/" + k + "/status"};
  set.read = {"commands/" + k + "/#", "broadcast/#", "iotsupport/" + id + "/#"};
  if (!model_code.empty()) {
    auto topic = model_firmware_topic(model_code);
    if (!topic) return topic.error();
    set.read.push_back(*topic);
  }
  return set;
}

}  // namespace iotfleet::mqtt
