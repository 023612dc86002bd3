// The device's side of a rotation (specs/rotation.md "The device's side"): fetch the new
// credential, store it beside the old one before using it, prove it on /iot/config (device.cpp),
// then commit. The order of storage writes is what keeps a working credential across a crash:
//   state/new_secret written  → both held; begin() tries the new one first, then the old
//   prov/client_secret written → both equal; begin() drops the spare
//   state/new_secret erased    → done

#include "iot_device/device.hpp"
#include "json.hpp"
#include "sinks.hpp"

namespace iot_device {
namespace {

constexpr std::string_view kProv = "prov";
constexpr std::string_view kState = "state";

}  // namespace

void Device::fetch_provisioning(std::uint64_t now) {
  if (!url("/iot/provisioning")) {
    count(ErrorKind::bad_response);
    rotation_ = RotationPhase::idle;
    return;
  }
  HttpRequest request;
  request.url = url_;
  HttpResponse response;
  detail::BufferSink body(body_, sizeof body_);
  // A lost answer leaves the phase at fetch: the retry gets the same credential (the server
  // never generates a second one for the same attempt).
  if (authed(request, response, body, now) != Outcome::answered) return;
  credential_accepted();
  if (response.status == 409) {  // nothing pending (any more)
    rotation_ = RotationPhase::idle;
    return;
  }
  FixedString<kSecretMax> secret;
  const int length = response.status == 200
                         ? detail::json_string(body.view(), "client_secret", secret.buffer(),
                                               secret.capacity() + 1)
                         : -1;
  if (length <= 0) {
    count(ErrorKind::bad_response);
    rotation_ = RotationPhase::idle;
    rotation_not_before_ = now + rotation_backoff_.next(ports_.random);
    return;
  }
  secret.set_size(static_cast<std::size_t>(length));
  for (auto& c : body_) c = '\0';  // the package held the secret
  if (secret == old_secret_.view()) {
    rotation_ = RotationPhase::idle;
    return;
  }
  // Durable before it is used: a crash from here on still finds both credentials.
  if (!ports_.storage.write(kState, "new_secret", secret.view())) {
    count(ErrorKind::storage);
    http_not_before_ = now + http_backoff_.next(ports_.random);
    return;
  }
  new_secret_ = secret;
  new_refused_ = false;
  refusals_ = 0;
  use_new_secret(true);
  token_.clear();
  token_expires_ms_ = 0;
  rotation_ = RotationPhase::prove;
  ++stats_.rotations_started;
}

bool Device::commit_rotation() {
  if (!ports_.storage.write(kProv, "client_secret", new_secret_.view())) {
    count(ErrorKind::storage);
    return false;  // still proven and in use; retried by the next step
  }
  old_secret_ = new_secret_;
  using_new_ = false;  // the same secret, now as the committed one: the token stays valid
  commit_pending_ = false;
  refusals_ = 0;
  if (!ports_.storage.erase(kState, "new_secret")) count(ErrorKind::storage);  // begin() copes
  new_secret_.clear();
  new_refused_ = false;
  rotation_backoff_.reset();
  ++stats_.rotations_completed;
  // The broker checks the password at connect: reconnect with the new credential.
  if (mqtt_up_) ports_.mqtt.disconnect();
  mqtt_up_ = false;
  next_mqtt_connect_ = ports_.clock.monotonic_ms();
  return true;
}

}  // namespace iot_device
