// The doubles of fakes.hpp.

#include "fakes.hpp"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/encoding.hpp"

namespace device_core_test {
namespace {

std::string form_value(std::string_view form, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= form.size()) {
    std::size_t amp = form.find('&', pos);
    if (amp == std::string_view::npos) amp = form.size();
    const std::string_view pair = form.substr(pos, amp - pos);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string out;
      const std::string_view v = pair.substr(eq + 1);
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '+') {
          out += ' ';
        } else if (v[i] == '%' && i + 2 < v.size()) {
          out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        } else {
          out += v[i];
        }
      }
      return out;
    }
    pos = amp + 1;
  }
  return "";
}

void send(BodySink& body, const std::string& text) {
  if (!text.empty()) body.write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

void json(HttpResponse& response, BodySink& body, int status, const nlohmann::json& doc) {
  response.status = status;
  send(body, doc.dump());
}

}  // namespace

// --- storage ---

int FakeStorage::read(std::string_view ns, std::string_view key, char* out, std::size_t cap) {
  const auto it = values.find(std::string(ns) + "/" + std::string(key));
  if (it == values.end() || it->second.size() > cap) return -1;
  std::memcpy(out, it->second.data(), it->second.size());
  if (it->second.size() < cap) out[it->second.size()] = '\0';
  return static_cast<int>(it->second.size());
}

bool FakeStorage::write(std::string_view ns, std::string_view key, std::string_view value) {
  if (fail_writes) return false;
  ++writes;
  values[std::string(ns) + "/" + std::string(key)] = std::string(value);
  return true;
}

bool FakeStorage::erase(std::string_view ns, std::string_view key) {
  if (fail_writes) return false;
  ++writes;
  values.erase(std::string(ns) + "/" + std::string(key));
  return true;
}

std::optional<std::string> FakeStorage::get(const std::string& ns, const std::string& key) const {
  const auto it = values.find(ns + "/" + key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

// --- SHA-256, slot ---

std::string sha256_hex(const std::vector<std::uint8_t>& data) {
  OpenSslSha256 sha;
  sha.begin();
  sha.update(data.data(), data.size());
  std::uint8_t digest[32];
  sha.finish(digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (const auto b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

bool FakeSlot::begin(std::uint32_t total_size) {
  ++begins;
  finished = false;
  image.assign(total_size, 0xFF);
  return true;
}

bool FakeSlot::write(std::uint32_t offset, const std::uint8_t* data, std::size_t n) {
  if (offset + n > image.size()) return false;
  std::copy(data, data + n, image.begin() + offset);
  return true;
}

// --- MQTT ---

NetResult FakeMqtt::connect(const Options& options) {
  client_ids.emplace_back(options.client_id);
  usernames.emplace_back(options.username);
  passwords.emplace_back(options.password);
  if (!reachable) return NetResult::unreachable;
  connected_ = true;
  return NetResult::ok;
}

NetResult FakeMqtt::subscribe(std::string_view topic_filter) {
  if (!connected_) return NetResult::unreachable;
  subscriptions.emplace_back(topic_filter);
  const auto it = retained.find(std::string(topic_filter));
  if (it != retained.end()) queue_.emplace_back(it->first, it->second);
  return NetResult::ok;
}

void FakeMqtt::poll(MqttListener& listener) {
  while (connected_ && !queue_.empty()) {
    auto [topic, payload] = queue_.front();
    queue_.pop_front();
    listener.on_message(topic, payload);
  }
}

void FakeMqtt::publish(const std::string& topic, const std::string& payload, bool retain) {
  if (retain) {
    if (payload.empty())
      retained.erase(topic);
    else
      retained[topic] = payload;
  }
  if (connected_ &&
      std::find(subscriptions.begin(), subscriptions.end(), topic) != subscriptions.end())
    queue_.emplace_back(topic, payload);
}

// --- the server ---

void FakeCloud::start_rotation() {
  pending = "new-secret-" + std::to_string(++secrets_issued_);
  rotation_pending = true;
  installed = false;
  mqtt_.publish("iotsupport/" + client_id + "/rotation",
                nlohmann::json{{"client_id", client_id},
                               {"device_key", device_key},
                               {"issued_at", "2026-11-22T10:00:00Z"},
                               {"kind", "rotation"}}
                    .dump(),
                true);
}

void FakeCloud::time_out_rotation() {
  if (installed) current = previous;
  previous.clear();
  pending.clear();
  installed = false;
  rotation_pending = false;
  mqtt_.publish("iotsupport/" + client_id + "/rotation", "", true);
}

bool FakeCloud::secret_accepted(const std::string& secret) const {
  if (secret == current) return true;
  return token_url.empty() && installed && secret == previous;
}

void FakeCloud::upload_firmware(const std::string& version, std::vector<std::uint8_t> image) {
  firmware = std::move(image);
  firmware_version = version;
  firmware_sha = sha256_hex(firmware);
}

int FakeCloud::count(const std::string& path) const {
  return static_cast<int>(
      std::count_if(seen.begin(), seen.end(), [&](const Seen& s) { return s.path == path; }));
}

std::optional<std::string> FakeCloud::caller_secret(const std::string& authorization) const {
  if (!token_url.empty()) {
    if (authorization.rfind("Bearer ", 0) != 0 || tokens_revoked) return std::nullopt;
    const auto it = tokens_.find(authorization.substr(7));
    if (it == tokens_.end()) return std::nullopt;
    return it->second;  // a valid token: the API does not ask Keycloak again
  }
  if (authorization.rfind("Basic ", 0) != 0) return std::nullopt;
  const auto decoded = iotfleet::core::base64_decode(authorization.substr(6));
  if (!decoded) return std::nullopt;
  const std::string pair(decoded->begin(), decoded->end());
  const auto colon = pair.find(':');
  if (colon == std::string::npos || pair.substr(0, colon) != device_key) return std::nullopt;
  const std::string secret = pair.substr(colon + 1);
  if (!secret_accepted(secret)) return std::nullopt;
  return secret;
}

NetResult FakeCloud::perform(const HttpRequest& request, HttpResponse& response, BodySink& body) {
  Seen s;
  const std::string url(request.url);
  if (!token_url.empty() && url == token_url)
    s.path = "token";
  else if (url.rfind(base_url, 0) == 0)
    s.path = url.substr(base_url.size());
  else
    s.path = url;
  s.authorization = std::string(request.authorization);
  s.if_none_match = std::string(request.if_none_match);
  s.if_range = std::string(request.if_range);
  s.body = std::string(request.body);
  s.range_from = request.range_from;
  s.at_ms = clock_.now;
  seen.push_back(s);

  std::optional<Fault> fault;
  const auto it =
      std::find_if(faults.begin(), faults.end(), [&](const Fault& f) { return f.path == s.path; });
  if (it != faults.end()) {
    fault = *it;
    faults.erase(it);
  }
  if (fault && fault->net != NetResult::ok) return fault->net;
  if (fault && fault->status != 0) {
    response.status = fault->status;
    response.retry_after_s = fault->retry_after_s;
    send(body, fault->body);
    return NetResult::ok;
  }
  if (s.path == "token") {
    const NetResult r = token(request, response, body);
    if (fault && fault->lose_response) return NetResult::timeout;
    return r;
  }
  const NetResult r = api(s.path, request, response, body, fault ? &*fault : nullptr);
  if (fault && fault->lose_response) return NetResult::timeout;
  return r;
}

NetResult FakeCloud::token(const HttpRequest& request, HttpResponse& response, BodySink& body) {
  const std::string form(request.body);
  if (request.content_type != "application/x-www-form-urlencoded" ||
      form_value(form, "grant_type") != "client_credentials") {
    json(response, body, 400, {{"error", "unsupported_grant_type"}});
    return NetResult::ok;
  }
  if (form_value(form, "client_id") != client_id || form_value(form, "client_secret") != current) {
    json(response, body, 401,
         {{"error", "unauthorized_client"},
          {"error_description", "Invalid client or Invalid client credentials"}});
    return NetResult::ok;
  }
  const std::string t = "eyJ.token-" + std::to_string(++tokens_issued_) + ".sig";
  tokens_[t] = current;
  json(response, body, 200,
       {{"access_token", t},
        {"expires_in", token_lifetime_s},
        {"token_type", "Bearer"},
        {"scope", "profile"}});
  return NetResult::ok;
}

NetResult FakeCloud::api(const std::string& path, const HttpRequest& request,
                         HttpResponse& response, BodySink& body, const Fault* fault) {
  const auto secret = caller_secret(std::string(request.authorization));
  if (!secret) {
    json(response, body, 401,
         {{"error", "unauthorized"}, {"message", "missing or invalid credentials"}});
    return NetResult::ok;
  }
  if (path == "/iot/config") {
    if (rotation_pending && installed && *secret == pending) {
      rotation_pending = false;
      installed = false;
      previous.clear();
      pending.clear();
      ++rotations_completed;
      mqtt_.publish("iotsupport/" + client_id + "/rotation", "", true);
    }
    response.etag.assign(config_etag);
    if (rotation_pending) response.rotation_pending = true;
    if (request.if_none_match == config_etag) {
      response.status = 304;
    } else {
      response.status = 200;
      send(body, config_body);
    }
    return NetResult::ok;
  }
  if (path == "/iot/provisioning") {
    if (!rotation_pending) {
      json(response, body, 409, {{"error", "no_rotation"}, {"message", "no rotation is pending"}});
      return NetResult::ok;
    }
    if (!installed) {
      previous = current;
      current = pending;
      installed = true;
    }
    json(response, body, 200,
         {{"device_key", device_key},
          {"client_id", client_id},
          {"client_secret", pending},
          {"token_url", token_url},
          {"base_url", base_url},
          {"mqtt_url", "mqtt://broker:1883"},
          {"wifi_ssid", "fleet"},
          {"wifi_password", ""}});
    return NetResult::ok;
  }
  if (path == "/iot/firmware-version") {
    if (firmware.empty()) {
      json(response, body, 404, {{"error", "no_firmware"}, {"message", "none"}});
      return NetResult::ok;
    }
    json(response, body, 200,
         {{"model", "m1"},
          {"version", firmware_version},
          {"sha256", firmware_sha},
          {"size", firmware_size.value_or(firmware.size())},
          {"chip", "esp32c3"}});
    return NetResult::ok;
  }
  if (path == "/iot/firmware") {
    const std::string etag = "\"" + sha256_hex(firmware) + "\"";
    response.etag.assign(etag);
    response.firmware_version.assign(firmware_version);
    std::size_t from = 0;
    const bool ranged =
        request.range_from > 0 && request.if_range == etag && !(fault && fault->ignore_range);
    if (ranged) {
      from = request.range_from;
      response.range_first = request.range_from;
      response.range_total = static_cast<std::uint32_t>(firmware.size());
    }
    const int status = ranged ? 206 : 200;
    if (!late_status) response.status = status;
    // Delivered in 1 KiB pieces, like a socket would.
    std::size_t sent = 0;
    for (std::size_t pos = from; pos < firmware.size(); pos += 1024) {
      std::size_t n = std::min<std::size_t>(1024, firmware.size() - pos);
      if (fault && fault->cut_after > 0 && sent + n > fault->cut_after) {
        n = fault->cut_after - sent;
        if (n > 0 && !body.write(firmware.data() + pos, n)) return NetResult::aborted;
        return NetResult::unreachable;
      }
      if (!body.write(firmware.data() + pos, n)) {
        response.status = status;
        return NetResult::aborted;
      }
      sent += n;
    }
    response.status = status;
    return NetResult::ok;
  }
  json(response, body, 404, {{"error", "not_found"}, {"message", "no such resource"}});
  return NetResult::ok;
}

// --- the rig ---

Rig::Rig(bool keycloak) {
  if (keycloak)
    cloud.token_url = "https://kc.example.test/realms/iot/protocol/openid-connect/token";
  tunables.config_poll_ms = 60'000;
  tunables.firmware_check_ms = 300'000;
  tunables.download_chunk = 4096;
}

void Rig::provision() {
  storage.set("prov", "device_key", cloud.device_key);
  storage.set("prov", "client_id", cloud.client_id);
  storage.set("prov", "client_secret", cloud.current);
  storage.set("prov", "token_url", cloud.token_url);
  storage.set("prov", "base_url", cloud.base_url + "/");
  storage.set("prov", "mqtt_url", "mqtt://broker.example.test:1883");
  storage.set("prov", "wifi_ssid", "fleet");
  storage.set("prov", "wifi_password", "wifi-pass");
}

bool Rig::start() {
  device.reset();
  device = std::make_unique<Device>(ports, tunables);
  return device->begin();
}

void Rig::run_for(std::uint64_t ms) {
  const std::uint64_t until = clock.now + ms;
  for (int i = 0; i < 100'000 && clock.now < until; ++i)
    clock.now += std::min<std::uint64_t>(device->step(), until - clock.now);
}

}  // namespace device_core_test
