#pragma once
// Device authentication for the endpoint: an Authorization header in, the device it proves out
// (or a Rejection with its reason). "Bearer <jwt>" is for Keycloak devices (verifier.hpp),
// "Basic base64(key:secret)" for local ones (HMAC compared in constant time). Then, on every
// request, cached token or not: the device must exist, be active, have that identity kind,
// match the token's client id and model, and be the device whose resource is asked for.

#include <string>
#include <string_view>

#include "auth/directory.hpp"
#include "auth/rejection.hpp"
#include "auth/verifier.hpp"
#include "idp/local.hpp"

namespace iotfleet::auth {

enum class Method { bearer, basic };

struct AuthenticatedDevice {
  std::string key;
  std::string model_code;
  std::string client_id;
  Method method = Method::bearer;
  std::int64_t token_issued_at = 0;  // "iat" of a bearer token (rotation proof), 0 for Basic
};

class Authenticator {
 public:
  /// verifier may be null (no Keycloak: Bearer is refused); pepper may be null (Basic refused).
  Authenticator(TokenVerifier* verifier, const idp::Pepper* pepper, DeviceDirectory& directory)
      : verifier_(verifier), pepper_(pepper), directory_(directory) {}

  /// `authorization` is the header's value; `resource_key` the device whose resource the request
  /// is about ("" when it is about the caller itself).
  Verdict<AuthenticatedDevice> authenticate(std::string_view authorization,
                                            std::string_view resource_key = {});
  Verdict<AuthenticatedDevice> authenticate_bearer(std::string_view token,
                                                   std::string_view resource_key = {});
  Verdict<AuthenticatedDevice> authenticate_basic(std::string_view credentials,
                                                  std::string_view resource_key = {});

 private:
  Verdict<DeviceRecord> device(const std::string& key, const char* kind);

  TokenVerifier* verifier_;
  const idp::Pepper* pepper_;
  DeviceDirectory& directory_;
};

}  // namespace iotfleet::auth
