#pragma once
// Why a device was not authenticated. Every rejection has a reason (a stable name, for metrics)
// and a message for logs that never contains the token or the secret presented.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace iotfleet::auth {

enum class Reason {
  missing_credentials,    // no Authorization header
  unsupported_scheme,     // neither Bearer nor Basic
  malformed_token,        // not a compact JWS: segments, base64url, JSON, UTF-8, duplicate names
  token_too_large,        // over kMaxTokenBytes
  alg_none,               // "alg": "none"
  alg_hmac,               // HS256/384/512: a shared secret, never accepted with public keys
  alg_not_allowed,        // an algorithm outside the configured allow-list
  missing_kid,            // no "kid" in the header
  unknown_kid,            // no key with that kid, even after refetching the JWKS
  keys_unavailable,       // the JWKS could not be fetched and none is cached
  bad_signature,          // the signature does not verify over the token's bytes
  wrong_issuer,           // "iss" is not OIDC_ISSUER_URL
  wrong_audience,         // "aud" does not contain OIDC_AUDIENCE
  expired,                // "exp" passed (beyond the allowed skew)
  not_yet_valid,          // "nbf" in the future (beyond the skew)
  issued_in_future,       // "iat" in the future (beyond the skew)
  missing_claim,          // a required claim is absent or of the wrong type
  wrong_token_type,       // "typ" present and not "Bearer" (an ID or refresh token)
  not_a_device_client,    // azp / client_id is not iotdevice-<model>-<key>, or they disagree
  unknown_device,         // no such device (never created, or deleted)
  inactive_device,        // the device is deactivated
  wrong_model,            // the client id's model is not the device's model
  wrong_client_id,        // the client id is not the device's client id
  wrong_identity_kind,    // a Keycloak token for a local device, or a secret for a Keycloak one
  device_mismatch,        // authenticated as device A, asking for device B's resources
  malformed_basic,        // HTTP Basic credentials that do not parse
  bad_secret,             // the local secret does not match
  replaced_certificate,   // a certificate of the device's CA and key, but not its current one
  directory_unavailable,  // the device lookup failed (database down)
};

/// "bad_signature", ... (stable names for metrics labels).
const char* reason_name(Reason r);

struct Rejection {
  Reason reason;
  std::string message;  // for logs: what was wrong, never the token or a secret
};

/// A value or a Rejection.
template <class T>
class [[nodiscard]] Verdict {
 public:
  Verdict(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Verdict(Rejection r) : v_(std::move(r)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const T* operator->() const { return &value(); }
  const T& operator*() const { return value(); }
  const Rejection& rejection() const { return std::get<1>(v_); }

 private:
  std::variant<T, Rejection> v_;
};

inline Rejection reject(Reason r, std::string message) { return {r, std::move(message)}; }

}  // namespace iotfleet::auth
