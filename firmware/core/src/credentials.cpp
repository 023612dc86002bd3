// How the device authenticates (specs/keycloak.md "Device tokens", lib/http/handlers.cpp):
// HTTP Basic with device_key:secret for a local identity, a cached client_credentials token for
// a Keycloak one. Holds the rule that a refused credential falls back to the other one held,
// and the HTTP gate: one back-off for network and server trouble, Retry-After when given.

#include "encoding.hpp"
#include "iot_device/device.hpp"
#include "json.hpp"
#include "sinks.hpp"
#include "text.hpp"

namespace iot_device {
namespace {

constexpr std::string_view kState = "state";

bool invalid_client(std::string_view body) {
  char error[32];
  if (detail::json_string(body, "error", error, sizeof error) < 0) return false;
  const std::string_view e(error);
  return e == "invalid_client" || e == "unauthorized_client";
}

}  // namespace

bool Device::url(std::string_view path) {
  std::string_view base = base_url_.view();
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  detail::TextBuilder out(url_, sizeof url_);
  out.append(base).append(path);
  return out.ok();
}

bool Device::token_valid(std::uint64_t now) const {
  return !token_.empty() && now < token_expires_ms_;
}

void Device::use_new_secret(bool use) {
  if (using_new_ == use) return;
  using_new_ = use;
  token_.clear();  // a token belongs to the credential it was minted with
  token_expires_ms_ = 0;
}

bool Device::build_authorization() {
  detail::TextBuilder out(authorization_, sizeof authorization_);
  if (!token_url_.empty()) {
    out.append("Bearer ").append(token_.view());
    return out.ok();
  }
  detail::TextBuilder pair(basic_.buffer(), basic_.capacity() + 1);
  pair.append(device_key_.view()).append(':').append(current_secret());
  if (!pair.ok()) return false;
  out.append("Basic ");
  detail::base64_encode(pair.view(), out);
  for (std::size_t i = 0; i < pair.size(); ++i) basic_.buffer()[i] = '\0';  // held the secret
  return out.ok();
}

bool Device::check_transport(NetResult result, const HttpResponse& response, std::uint64_t now) {
  if (result != NetResult::ok) {
    count(ErrorKind::network);
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return false;
  }
  const int status = response.status;
  if (status == 429 || status == 503) {
    count(status == 429 ? ErrorKind::throttled : ErrorKind::server);
    const std::uint32_t delay = response.retry_after_s > 0 ? response.retry_after_s * 1000u
                                                           : http_backoff_.next(ports_.random);
    http_not_before_ = now + delay;
    return false;
  }
  if (status >= 500) {
    count(ErrorKind::server);
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return false;
  }
  return true;
}

void Device::succeeded() { http_backoff_.reset(); }

Device::Outcome Device::fetch_token(std::uint64_t now) {
  detail::TextBuilder form(form_, sizeof form_);
  form.append("grant_type=client_credentials&client_id=");
  detail::form_encode(client_id_.view(), form);
  form.append("&client_secret=");
  detail::form_encode(current_secret(), form);
  if (!form.ok()) {
    count(ErrorKind::bad_response);
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return Outcome::failed;
  }
  HttpRequest request;
  request.method = HttpRequest::Method::post;
  request.url = token_url_.view();
  request.content_type = "application/x-www-form-urlencoded";
  request.body = form.view();
  HttpResponse response;
  detail::BufferSink body(body_, sizeof body_);
  body_stopped_ = false;
  const NetResult result = ports_.http.perform(request, response, body);
  for (auto& c : form_) c = '\0';  // the form held the secret
  if (!check_transport(result, response, now)) return Outcome::failed;
  if (response.status == 401 || (response.status == 400 && invalid_client(body.view()))) {
    credential_refused(now);
    return Outcome::refused;
  }
  std::uint32_t expires_in = 0;
  const int length =
      response.status == 200
          ? detail::json_string(body.view(), "access_token", token_.buffer(), token_.capacity() + 1)
          : -1;
  if (length <= 0 || !detail::json_uint(body.view(), "expires_in", expires_in)) {
    token_.clear();
    count(ErrorKind::bad_response);
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return Outcome::failed;
  }
  token_.set_size(static_cast<std::size_t>(length));
  const std::uint32_t margin = tunables_.token_refresh_margin_s;
  const std::uint32_t lifetime_s = expires_in > margin ? expires_in - margin : expires_in / 2;
  token_expires_ms_ = now + static_cast<std::uint64_t>(lifetime_s) * 1000u;
  token_fresh_ = true;
  ++stats_.tokens_fetched;
  // No back-off reset here: only an answer from the API shows the credential is of use.
  return Outcome::deferred;  // the request that needed the token follows in the next step
}

Device::Outcome Device::authed(HttpRequest& request, HttpResponse& response, BodySink& body,
                               std::uint64_t now) {
  const bool bearer = !token_url_.empty();
  if (bearer && !token_valid(now)) return fetch_token(now);
  if (!build_authorization()) {
    count(ErrorKind::bad_response);
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return Outcome::failed;
  }
  request.authorization = authorization_;
  const bool fresh_token = token_fresh_;
  token_fresh_ = false;
  body_stopped_ = false;
  NetResult result = ports_.http.perform(request, response, body);
  for (auto& c : authorization_) c = '\0';
  if (result == NetResult::aborted && body_stopped_) result = NetResult::ok;
  if (!check_transport(result, response, now)) return Outcome::failed;
  if (response.status == 401) {
    if (bearer && !fresh_token) {
      // A cached token may have been revoked or outlived its keys: fetch a new one, once.
      token_.clear();
      token_expires_ms_ = 0;
      return Outcome::deferred;
    }
    credential_refused(now);
    return Outcome::refused;
  }
  if (response.status == 403) {
    count(ErrorKind::unauthorized);
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return Outcome::failed;
  }
  succeeded();
  return Outcome::answered;
}

void Device::credential_refused(std::uint64_t now) {
  token_.clear();
  token_expires_ms_ = 0;
  ++refusals_;
  if (using_new_) {
    // The new credential was refused: back to the old one, which the server may have restored
    // after a time-out. The new one stays stored until the old one has worked again.
    if (!new_refused_) ++stats_.rotation_fallbacks;
    new_refused_ = true;
    rotation_ = RotationPhase::idle;
    rotation_not_before_ = now + rotation_backoff_.next(ports_.random);
    use_new_secret(false);
  } else if (!new_secret_.empty() && refusals_ < 2) {
    use_new_secret(true);
    rotation_ = RotationPhase::prove;
  }
  const std::uint8_t held = new_secret_.empty() ? 1 : 2;
  if (refusals_ >= held) {
    // Every credential the device holds was refused: wait, the server may restore one.
    count(ErrorKind::unauthorized);
    refusals_ = 0;
    http_not_before_ = now + http_backoff_.next(ports_.random);
  }
}

void Device::credential_accepted() {
  refusals_ = 0;
  if (using_new_ || !new_refused_) return;
  // The old credential works again: the refused new one is of no further use.
  if (!ports_.storage.erase(kState, "new_secret")) {
    count(ErrorKind::storage);
    return;
  }
  new_secret_.clear();
  new_refused_ = false;
}

}  // namespace iot_device
