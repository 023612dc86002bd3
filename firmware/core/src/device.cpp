// The device's schedule: which piece of work step() does next, the MQTT connection, and the
// configuration poll (which is also how a rotation's new credential is proven, specs/rotation.md).

#include "iot_device/device.hpp"

#include "json.hpp"
#include "sinks.hpp"
#include "text.hpp"

namespace iot_device {
namespace {

constexpr std::string_view kProv = "prov";
constexpr std::string_view kState = "state";

}  // namespace

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::network:
      return "network";
    case ErrorKind::unauthorized:
      return "unauthorized";
    case ErrorKind::throttled:
      return "throttled";
    case ErrorKind::server:
      return "server";
    case ErrorKind::bad_response:
      return "bad_response";
    case ErrorKind::storage:
      return "storage";
    case ErrorKind::firmware_integrity:
      return "firmware_integrity";
    case ErrorKind::count_:
      break;
  }
  return "unknown";
}

Device::Device(const Ports& ports, const Tunables& tunables)
    : ports_(ports),
      tunables_(tunables),
      rotation_backoff_(tunables.backoff_base_ms, tunables.backoff_cap_ms),
      http_backoff_(tunables.backoff_base_ms, tunables.backoff_cap_ms),
      mqtt_backoff_(tunables.backoff_base_ms, tunables.backoff_cap_ms) {}

bool Device::load_string(std::string_view ns, std::string_view key, char* out, std::size_t cap,
                         std::size_t& length, bool required) {
  const int n = ports_.storage.read(ns, key, out, cap);
  if (n < 0 || static_cast<std::size_t>(n) > cap) {
    length = 0;
    out[0] = '\0';
    return !required;
  }
  length = static_cast<std::size_t>(n);
  out[length] = '\0';
  return !required || length > 0;
}

bool Device::begin() {
  begun_ = false;
  struct Field {
    std::string_view key;
    char* out;
    std::size_t cap;
    bool required;
    std::size_t length;
  };
  Field fields[] = {
      {"device_key", device_key_.buffer(), device_key_.capacity(), true, 0},
      {"client_id", client_id_.buffer(), client_id_.capacity(), true, 0},
      {"client_secret", old_secret_.buffer(), old_secret_.capacity(), true, 0},
      {"base_url", base_url_.buffer(), base_url_.capacity(), true, 0},
      {"token_url", token_url_.buffer(), token_url_.capacity(), false, 0},
      {"mqtt_url", mqtt_url_.buffer(), mqtt_url_.capacity(), false, 0},
  };
  bool complete = true;
  for (auto& f : fields)
    complete = load_string(kProv, f.key, f.out, f.cap, f.length, f.required) && complete;
  device_key_.set_size(fields[0].length);
  client_id_.set_size(fields[1].length);
  old_secret_.set_size(fields[2].length);
  base_url_.set_size(fields[3].length);
  token_url_.set_size(fields[4].length);
  mqtt_url_.set_size(fields[5].length);
  if (!complete) return false;

  std::size_t length = 0;
  load_string(kState, "new_secret", new_secret_.buffer(), new_secret_.capacity(), length, false);
  new_secret_.set_size(length);
  load_string(kState, "fw_version", running_version_.buffer(), running_version_.capacity(), length,
              false);
  running_version_.set_size(length);

  // A crash between committing the new credential and erasing the spare leaves them equal.
  if (!new_secret_.empty() && new_secret_ == old_secret_.view()) {
    if (!ports_.storage.erase(kState, "new_secret")) count(ErrorKind::storage);
    new_secret_.clear();
  }
  // After a reboot mid-rotation the new credential is tried first, then the old one.
  using_new_ = !new_secret_.empty();
  rotation_ = using_new_ ? RotationPhase::prove : RotationPhase::idle;
  new_refused_ = false;
  refusals_ = 0;
  commit_pending_ = false;
  rotation_requested_ = false;
  token_.clear();
  token_expires_ms_ = 0;
  download_ = Download{};

  detail::TextBuilder topic(topic_.buffer(), topic_.capacity() + 1);
  topic.append("iotsupport/").append(client_id_.view()).append("/rotation");
  topic_.set_size(topic.ok() ? topic.size() : 0);

  const std::uint64_t now = ports_.clock.monotonic_ms();
  http_not_before_ = next_config_ = next_firmware_check_ = now;
  next_mqtt_connect_ = next_mqtt_poll_ = now;
  rotation_not_before_ = now;
  mqtt_up_ = false;
  begun_ = true;
  return true;
}

std::uint32_t Device::step() {
  if (!begun_) return tunables_.config_poll_ms;
  const std::uint64_t now = ports_.clock.monotonic_ms();
  if (commit_pending_) commit_rotation();
  if (now >= next_mqtt_poll_) poll_mqtt(now);

  if (rotation_requested_) {
    if (rotation_ != RotationPhase::idle || commit_pending_ ||
        (!new_secret_.empty() && !new_refused_)) {
      rotation_requested_ = false;  // already under way
    } else if (now >= rotation_not_before_) {
      rotation_requested_ = false;
      rotation_ = RotationPhase::fetch;
    }
  }

  bool exchanged = false;
  if (now >= http_not_before_) {
    exchanged = true;
    if (rotation_ == RotationPhase::fetch)
      fetch_provisioning(now);
    else if (rotation_ == RotationPhase::prove || now >= next_config_)
      poll_config(now);
    else if (download_.active)
      download_chunk(now);
    else if (now >= next_firmware_check_)
      check_firmware(now);
    else
      exchanged = false;
  }
  if (!exchanged && !mqtt_up_ && !mqtt_url_.empty() && now >= next_mqtt_connect_) connect_mqtt(now);
  return delay_until_next(ports_.clock.monotonic_ms());
}

std::uint32_t Device::delay_until_next(std::uint64_t now) const {
  std::uint64_t due = next_config_;
  if (rotation_ != RotationPhase::idle || download_.active) due = now;
  if (rotation_requested_) due = rotation_not_before_ < due ? rotation_not_before_ : due;
  if (next_firmware_check_ < due) due = next_firmware_check_;
  if (http_not_before_ > due) due = http_not_before_;
  if (mqtt_up_) {
    if (next_mqtt_poll_ < due) due = next_mqtt_poll_;
  } else if (!mqtt_url_.empty() && next_mqtt_connect_ < due) {
    due = next_mqtt_connect_;
  }
  if (due <= now) return 0;
  const std::uint64_t delay = due - now;
  return delay > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(delay);
}

void Device::count(ErrorKind kind) { ++stats_.errors[static_cast<int>(kind)]; }

std::string_view Device::firmware_version() const { return running_version_.view(); }
const Stats& Device::stats() const { return stats_; }
bool Device::rotating() const { return rotation_ != RotationPhase::idle || commit_pending_; }
std::string_view Device::current_secret() const {
  return using_new_ ? new_secret_.view() : old_secret_.view();
}
std::string_view Device::config_body() const { return config_.view(); }
std::string_view Device::config_etag() const { return config_etag_.view(); }

// --- MQTT: an accelerator for rotation notices; everything works without it. ---

void Device::poll_mqtt(std::uint64_t now) {
  next_mqtt_poll_ = now + tunables_.mqtt_poll_ms;
  if (!mqtt_up_) return;
  if (!ports_.mqtt.connected()) {
    mqtt_up_ = false;
    count(ErrorKind::network);
    next_mqtt_connect_ = now + mqtt_backoff_.next(ports_.random);
    return;
  }
  ports_.mqtt.poll(notices_);
}

bool Device::connect_mqtt(std::uint64_t now) {
  Mqtt::Options options;
  options.url = mqtt_url_.view();
  options.client_id = client_id_.view();
  options.username = client_id_.view();
  options.password = current_secret();
  if (!topic_.empty() && ports_.mqtt.connect(options) == NetResult::ok) {
    if (ports_.mqtt.subscribe(topic_.view()) == NetResult::ok) {
      mqtt_up_ = true;
      mqtt_backoff_.reset();
      next_mqtt_poll_ = now;
      return true;
    }
    ports_.mqtt.disconnect();
  }
  count(ErrorKind::network);
  next_mqtt_connect_ = now + mqtt_backoff_.next(ports_.random);
  return false;
}

void Device::Notices::on_message(std::string_view topic, std::string_view payload) {
  // An empty retained payload is the notice being cleared.
  if (topic != device_.topic_.view() || payload.empty()) return;
  char kind[16];
  if (detail::json_string(payload, "kind", kind, sizeof kind) >= 0 &&
      std::string_view(kind) != "rotation")
    return;
  char client_id[kIdMax + 1];
  if (detail::json_string(payload, "client_id", client_id, sizeof client_id) >= 0 &&
      device_.client_id_.view() != client_id)
    return;
  ++device_.stats_.notices_received;
  device_.rotation_requested_ = true;
}

// --- Configuration ---

void Device::poll_config(std::uint64_t now) {
  if (!url("/iot/config")) {
    count(ErrorKind::bad_response);
    next_config_ = now + tunables_.config_poll_ms;
    return;
  }
  HttpRequest request;
  request.url = url_;
  request.if_none_match = config_etag_.view();
  HttpResponse response;
  detail::BufferSink body(body_, sizeof body_);
  if (authed(request, response, body, now) != Outcome::answered) return;

  next_config_ = now + tunables_.config_poll_ms;
  if (response.status != 200 && response.status != 304) {
    count(ErrorKind::bad_response);
    return;
  }
  if (response.status == 200) {
    ++stats_.configs_fetched;
    if (!config_etag_.assign(response.etag.view())) config_etag_.clear();
    if (!config_.assign(body.view())) config_.clear();
  } else {
    ++stats_.configs_unchanged;
  }
  if (using_new_) {
    // The new credential was accepted by /iot/config: that is the proof the server waits for.
    rotation_ = RotationPhase::idle;
    commit_pending_ = true;
    commit_rotation();
    return;
  }
  credential_accepted();
  if (response.rotation_pending) rotation_requested_ = true;
}

}  // namespace iot_device
