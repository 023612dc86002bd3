#include "auth/authenticator.hpp"

#include <cctype>

#include "auth/basic.hpp"

namespace iotfleet::auth {
namespace {

// "Bearer x" / "bearer x": the scheme is case-insensitive (RFC 9110 §11.1).
bool has_scheme(std::string_view header, std::string_view scheme, std::string_view& rest) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i])))
      return false;
  rest = header.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return true;
}

Verdict<AuthenticatedDevice> for_resource(AuthenticatedDevice d, std::string_view resource_key) {
  if (!resource_key.empty() && resource_key != d.key)
    return reject(Reason::device_mismatch,
                  "device '" + d.key + "' asked for another device's resource");
  return d;
}

}  // namespace

Verdict<DeviceRecord> Authenticator::device(const std::string& key, const char* kind) {
  auto found = directory_.find(key);
  if (!found)
    return reject(Reason::directory_unavailable, "device lookup failed: " + found.error().message);
  if (!*found) return reject(Reason::unknown_device, "no device '" + key + "'");
  DeviceRecord r = std::move(**found);
  if (r.identity_kind != kind)
    return reject(Reason::wrong_identity_kind,
                  "device '" + key + "' has a " + r.identity_kind + " identity, not " + kind);
  if (!r.active) return reject(Reason::inactive_device, "device '" + key + "' is deactivated");
  return r;
}

Verdict<AuthenticatedDevice> Authenticator::authenticate(std::string_view authorization,
                                                         std::string_view resource_key) {
  if (authorization.empty()) return reject(Reason::missing_credentials, "no Authorization header");
  std::string_view rest;
  if (has_scheme(authorization, "Bearer", rest)) return authenticate_bearer(rest, resource_key);
  if (has_scheme(authorization, "Basic", rest)) return authenticate_basic(rest, resource_key);
  return reject(Reason::unsupported_scheme, "the Authorization scheme is neither Bearer nor Basic");
}

Verdict<AuthenticatedDevice> Authenticator::authenticate_bearer(std::string_view token,
                                                                std::string_view resource_key) {
  if (!verifier_)
    return reject(Reason::unsupported_scheme,
                  "Bearer tokens are not accepted (no OIDC issuer configured)");
  auto identity = verifier_->verify(token);
  if (!identity) return identity.rejection();
  auto record = device(identity->device_key, "keycloak");
  if (!record) return record.rejection();
  // The token names the device through its client id: the row's must be exactly that one, and
  // of the same model (a device re-created under another model must not inherit old tokens).
  if (record->model_code != identity->model_code)
    return reject(Reason::wrong_model, "device '" + record->key + "' is of model '" +
                                           record->model_code + "', the token says '" +
                                           identity->model_code + "'");
  if (record->client_id != identity->client_id)
    return reject(Reason::wrong_client_id,
                  "the token's client id is not device '" + record->key + "''s");
  return for_resource(
      {record->key, record->model_code, record->client_id, Method::bearer, identity->issued_at},
      resource_key);
}

Verdict<AuthenticatedDevice> Authenticator::authenticate_basic(std::string_view credentials,
                                                               std::string_view resource_key) {
  if (!pepper_)
    return reject(Reason::unsupported_scheme,
                  "Basic credentials are not accepted (no IOT_SECRET_PEPPER)");
  auto basic = parse_basic(credentials);
  if (!basic) return basic.rejection();
  auto record = device(basic->device_key, "local");
  if (!record) return record.rejection();
  if (!record->secret_hmac ||
      !idp::verify_local_secret(*pepper_, record->key, basic->secret, *record->secret_hmac))
    return reject(Reason::bad_secret, "wrong secret for device '" + record->key + "'");
  return for_resource({record->key, record->model_code, record->client_id, Method::basic, 0},
                      resource_key);
}

}  // namespace iotfleet::auth
