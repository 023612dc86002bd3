#include "http/handlers.hpp"

#include <nlohmann/json.hpp>

#include "auth/basic.hpp"
#include "core/log.hpp"
#include "http/loader.hpp"
#include "http/range.hpp"
#include "rotation/exchange.hpp"
#include "store/database.hpp"

namespace iotfleet::http {
namespace {

Response json_response(int status, const nlohmann::ordered_json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

Response text_response(int status, std::string body,
                       std::string type = "text/plain; charset=utf-8") {
  Response r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// If-None-Match: "*" or a comma list of entity tags (weak ones compare weakly, RFC 9110 §13.1.2).
bool none_match(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view tag = header.substr(pos, comma - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

Response error_response(int status, std::string_view error, std::string_view message) {
  return json_response(status, {{"error", error}, {"message", message}});
}

int status_for(auth::Reason reason, bool identity_proven) {
  using auth::Reason;
  switch (reason) {
    case Reason::directory_unavailable:
    case Reason::keys_unavailable:
      return 503;
    case Reason::device_mismatch:
    case Reason::wrong_model:
    case Reason::wrong_client_id:
      return 403;
    case Reason::unknown_device:
      return identity_proven ? 404 : 401;
    case Reason::inactive_device:
    case Reason::wrong_identity_kind:
      return identity_proven ? 403 : 401;
    default:
      return 401;
  }
}

core::Result<bool> RotationDatabase::with(
    const std::function<core::Result<bool>(pqxx::connection&)>& fn) {
  std::lock_guard lock(mutex_);
  if (!conn_ || !conn_->is_open()) {
    auto conn = connect_serving(url_, role_);
    if (!conn) return conn.error();
    conn_ = std::move(conn.value());
  }
  auto result = fn(*conn_);
  if (!result && result.error().kind == core::ErrorKind::unavailable) conn_.reset();
  return result;
}

Response Handlers::unauthorized(std::string_view message) {
  Response r = error_response(401, "unauthorized", message);
  std::string challenge;
  if (c_.jwt_auth) challenge = "Bearer realm=\"iot\"";
  if (c_.secret_auth)
    challenge += std::string(challenge.empty() ? "" : ", ") + "Basic realm=\"iot\"";
  if (challenge.empty()) challenge = "ClientCertificate realm=\"iot\"";  // --auth cert only
  r.headers.emplace_back("WWW-Authenticate", challenge);
  return r;
}

namespace {

bool certificate_accepted(const auth::DeviceRecord& device, const std::string& serial) {
  if (!device.certificate_serial) return true;  // recorded before serials were: CN and chain only
  return serial == *device.certificate_serial ||
         (device.previous_certificate_serial && serial == *device.previous_certificate_serial);
}

}  // namespace

std::variant<Handlers::Caller, Response> Handlers::authenticate(const Request& r) {
  if (c_.hook)
    if (auto refused = c_.hook->before(r)) return std::move(*refused);
  const auto finish = [&](bool ok, std::optional<auth::Reason> reason) {
    if (c_.hook) c_.hook->after(r, ok, reason);
  };
  if (!r.authorization.empty() || !c_.cert_auth || !r.client_cert_cn) {
    const auto verdict = c_.authenticator->authenticate(r.authorization);
    if (!verdict) {
      const auto& rej = verdict.rejection();
      c_.metrics->auth_failure(rej.reason);
      finish(false, rej.reason);
      core::log::debug(
          "authentication refused",
          {{"reason", auth::reason_name(rej.reason)}, {"detail", rej.message}, {"peer", r.peer}});
      const bool bearer = r.authorization.size() > 7 &&
                          (r.authorization[0] == 'B' || r.authorization[0] == 'b') &&
                          (r.authorization[1] == 'e' || r.authorization[1] == 'E');
      const int status = status_for(rej.reason, bearer);
      if (status == 401) return unauthorized("missing or invalid credentials");
      if (status == 404) return error_response(404, "unknown_device", "this device does not exist");
      if (status == 503)
        return error_response(503, "unavailable", "authentication is unavailable; try again later");
      return error_response(403, "forbidden", "this identity has no access");
    }
    finish(true, std::nullopt);
    Caller c{
        verdict->key, verdict->model_code, verdict->client_id,
        verdict->method == auth::Method::bearer ? Caller::Method::bearer : Caller::Method::basic,
        verdict->token_issued_at};
    return c;
  }
  // A client certificate TLS verified against --client-ca: its CN is the device key.
  const auto entry = c_.snapshot->device(*r.client_cert_cn);
  std::optional<auth::Reason> reason;
  if (!entry)
    reason = auth::Reason::unknown_device;
  else if (entry->record.identity_kind != "cert")
    reason = auth::Reason::wrong_identity_kind;
  else if (!entry->record.active)
    reason = auth::Reason::inactive_device;
  else if (!certificate_accepted(entry->record, r.client_cert_serial))
    reason = auth::Reason::replaced_certificate;
  if (reason) {
    c_.metrics->auth_failure(*reason);
    finish(false, reason);
    if (*reason == auth::Reason::unknown_device)
      return error_response(404, "unknown_device", "this device does not exist");
    // A replaced (rotated or revoked) certificate: 401, so the device falls back to another.
    if (*reason == auth::Reason::replaced_certificate)
      return unauthorized("this certificate is no longer the device's");
    return error_response(403, "forbidden", "this identity has no access");
  }
  finish(true, std::nullopt);
  return Caller{entry->record.key, entry->record.model_code, entry->record.client_id,
                Caller::Method::cert, 0, r.client_cert_serial};
}

void Handlers::refresh_device(const std::string& key) {
  auto done = c_.rotation_db->with([&](pqxx::connection& conn) -> core::Result<bool> {
    return store::in_transaction(conn, "reload device " + key, [&](pqxx::work& tx) {
      refresh_devices(tx, *c_.snapshot, {key});
      return true;
    });
  });
  if (!done)
    core::log::warn("could not reload the device after its rotation step; NOTIFY will",
                    {{"device", key}, {"error", done.error().message}});
}

// Before the device hears 200 and reconnects to MQTT with its new secret, the broker gets it.
void Handlers::keep_broker_identity(const Caller& caller) {
  if (!c_.broker_identities) return;
  core::Status kept = core::ok_status();
  auto reached = c_.rotation_db->with([&](pqxx::connection& conn) -> core::Result<bool> {
    fleet::Session session{conn, "iot-serve"};
    auto r = c_.broker_identities->keep(session, *c_.box, {caller.key, caller.client_id});
    if (!r) kept = r.error();
    return true;  // a broker problem is not a reason to drop the database connection
  });
  if (!reached) kept = reached.error();
  if (!kept)
    core::log::warn("the MQTT broker still has the device's previous password; "
                    "'iot-provision mqtt sync' repairs it",
                    {{"device", caller.key}, {"error", kept.error().message}});
}

Response Handlers::config(const Request& r, const Caller& caller) {
  auto entry = c_.snapshot->device(caller.key);
  if (!entry) return error_response(404, "unknown_device", "this device does not exist");
  if (entry->rotation_state == "PENDING") {
    rotation::Proof proof;
    if (caller.method == Caller::Method::cert) {
      proof.method = rotation::Proof::Method::certificate;
      proof.certificate_serial = caller.cert_serial;
    } else if (caller.method == Caller::Method::bearer) {
      proof.method = rotation::Proof::Method::bearer;
      proof.token_issued_at = caller.issued_at;
    } else {
      proof.method = rotation::Proof::Method::basic;
      std::string_view creds = r.authorization.substr(r.authorization.find(' ') + 1);
      if (auto basic = auth::parse_basic(creds)) proof.presented_secret = basic->secret;
    }
    auto completed = c_.rotation_db->with([&](pqxx::connection& conn) {
      return rotation::complete_if_proven(conn, *c_.installer, *c_.box, caller.key, proof, c_.now(),
                                          c_.clock_skew);
    });
    if (!completed) {
      core::log::warn("could not complete a rotation; the device will ask again",
                      {{"device", caller.key}, {"error", completed.error().message}});
    } else if (*completed) {
      core::log::info("rotation completed", {{"device", caller.key}});
      refresh_device(caller.key);
      keep_broker_identity(caller);
      if (auto cleared = c_.notifier->clear(caller.client_id); !cleared)
        core::log::warn("could not clear the rotation notice",
                        {{"device", caller.key}, {"error", cleared.error().message}});
      if (auto fresh = c_.snapshot->device(caller.key)) entry = fresh;
    }
  }
  Response res;
  if (none_match(r.if_none_match, entry->config_etag)) {
    res.status = 304;
  } else {
    res.content_type = "application/json";
    // Sent straight from the snapshot entry (kept alive by the response): no copy.
    res.shared = std::shared_ptr<const std::string>(entry, &entry->config_body);
    res.length = entry->config_body.size();
  }
  res.headers.emplace_back("ETag", entry->config_etag);
  res.headers.emplace_back("Cache-Control", "no-cache");
  if (entry->rotation_state == "PENDING") res.headers.emplace_back("X-Rotation", "pending");
  return res;
}

Response Handlers::firmware(const Request& r, const Caller& caller, bool metadata_only) {
  const auto fw = c_.snapshot->firmware(caller.model_code);
  if (!fw)
    return error_response(404, "no_firmware", "no firmware has been uploaded for this model");
  const std::string etag = "\"" + fw->sha256 + "\"";
  if (metadata_only) {
    Response res = json_response(200, {{"model", fw->model_code},
                                       {"version", fw->version},
                                       {"sha256", fw->sha256},
                                       {"size", fw->bytes->size()},
                                       {"chip", fw->chip}});
    res.headers.emplace_back("Cache-Control", "no-cache");
    return res;
  }
  Response res;
  res.headers.emplace_back("ETag", etag);
  res.headers.emplace_back("X-Firmware-Version", fw->version);
  res.headers.emplace_back("Accept-Ranges", "bytes");
  res.headers.emplace_back("Cache-Control", "no-cache");
  if (none_match(r.if_none_match, etag)) {
    res.status = 304;
    return res;
  }
  const std::uint64_t size = fw->bytes->size();
  ByteRange range;
  if (!r.range.empty() && if_range_allows(r.if_range, etag)) range = parse_range(r.range, size);
  if (range.kind == ByteRange::Kind::unsatisfiable) {
    Response bad =
        error_response(416, "range_not_satisfiable",
                       "the range starts beyond the image (" + std::to_string(size) + " bytes)");
    bad.headers = res.headers;
    bad.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return bad;
  }
  res.content_type = "application/octet-stream";
  res.shared = fw->bytes;
  if (range.kind == ByteRange::Kind::partial) {
    res.status = 206;
    res.offset = range.first;
    res.length = range.length();
    res.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                  std::to_string(range.last) + "/" +
                                                  std::to_string(size));
  } else {
    res.length = size;
  }
  return res;
}

Response Handlers::provisioning(const Caller& caller) {
  std::optional<rotation::IssuedCredential> issued;
  auto outcome = c_.rotation_db->with([&](pqxx::connection& conn) -> core::Result<bool> {
    auto r = rotation::issue_pending(conn, *c_.installer, *c_.box, caller.key, c_.now());
    if (!r) return r.error();
    issued = std::move(r.value());
    return true;
  });
  if (!outcome) {
    const auto& e = outcome.error();
    switch (e.kind) {
      case core::ErrorKind::conflict:
        return error_response(409, "no_rotation", "no rotation is pending for this device");
      case core::ErrorKind::not_found:
        return error_response(404, "unknown_device", "this device does not exist");
      case core::ErrorKind::unavailable:
        core::log::warn("rotation step failed", {{"device", caller.key}, {"error", e.message}});
        return error_response(503, "unavailable", "try again later");
      default:
        core::log::error("rotation step failed", {{"device", caller.key}, {"error", e.message}});
        return error_response(500, "internal", "the new credential could not be issued");
    }
  }
  if (issued->first_issue)
    core::log::info("rotation credential installed", {{"device", caller.key}});
  refresh_device(caller.key);
  provision::Package p = c_.package_defaults;
  p.device_key = issued->device_key;
  p.client_id = issued->client_id;
  if (issued->identity_kind == "cert") {
    auto cert = rotation::parse_certificate_credential(issued->secret);
    if (!cert) {
      core::log::error("rotation step failed", {{"device", caller.key},
                                                {"error", "the pending credential is not a certificate"}});
      return error_response(500, "internal", "the new credential could not be issued");
    }
    p.client_key = std::move(cert->key);
    p.client_cert = std::move(cert->certificate);
    p.ca_cert = c_.device_ca_pem;
  } else {
    p.client_secret = std::move(issued->secret);
  }
  Response res = json_response(200, provision::to_json(p));
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

Response Handlers::handle(const Request& r) {
  const Target target = route_target(r.target);
  Response res;
  if (target.route == Route::invalid) {
    res = error_response(target.status, target.status == 414 ? "uri_too_long" : "bad_request",
                         target.reason);
  } else if (r.method != "GET" && r.method != "HEAD") {
    res = error_response(405, "method_not_allowed", "only GET and HEAD are allowed");
    res.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    switch (target.route) {
      case Route::health_live:
        res = text_response(200, "ok\n");
        break;
      case Route::health_ready: {
        const bool draining = c_.draining && c_.draining->load();
        const bool ready = !draining && c_.ready && c_.ready();
        res = text_response(ready ? 200 : 503,
                            ready ? "ready\n" : (draining ? "shutting down\n" : "not ready\n"));
        break;
      }
      case Route::metrics:
        res = text_response(200, c_.metrics->render(c_.gauges ? c_.gauges() : Gauges{}),
                            "text/plain; version=0.0.4; charset=utf-8");
        break;
      case Route::ca_cert:
        if (c_.device_ca_pem.empty())
          res = error_response(404, "not_found", "no device CA certificate is configured");
        else
          res = text_response(200, c_.device_ca_pem, "application/x-pem-file");
        break;
      case Route::config:
      case Route::firmware:
      case Route::firmware_version:
      case Route::provisioning: {
        auto who = authenticate(r);
        if (auto* refused = std::get_if<Response>(&who)) {
          res = std::move(*refused);
          break;
        }
        const Caller& caller = std::get<Caller>(who);
        if (target.route == Route::config)
          res = config(r, caller);
        else if (target.route == Route::provisioning)
          res = provisioning(caller);
        else
          res = firmware(r, caller, target.route == Route::firmware_version);
        break;
      }
      default:
        res = error_response(404, "not_found", "no such resource");
    }
  }
  res.route = target.route;
  return res;
}

}  // namespace iotfleet::http
