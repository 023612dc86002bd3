#pragma once
// Where the verifier gets its keys: OpenID Connect discovery (issuer +
// "/.well-known/openid-configuration" → "jwks_uri"), then the JWKS itself.

#include <memory>
#include <string>

#include "auth/jwks.hpp"
#include "auth/verifier.hpp"
#include "core/config.hpp"
#include "idp/http.hpp"

namespace iotfleet::auth {

/// A JwksFetch for JwksCache. The discovery document must name the same issuer (OpenID
/// Connect Discovery §4.3), so a misconfigured URL cannot switch trust to another realm. The
/// jwks_uri is looked up again on every fetch (it may change with the realm's configuration).
/// Errors name the URL and are ErrorKind::unavailable when the IdP cannot be reached.
JwksFetch discovery_fetch(std::string issuer, std::shared_ptr<idp::HttpClient> http);

/// The key cache of the settings' issuer, fetched with libcurl (TLS verified; OIDC_CA_FILE names
/// a private CA). What the endpoint builds its TokenVerifier on.
std::unique_ptr<JwksCache> make_jwks_cache(const VerifierSettings& settings,
                                           const core::Config& config,
                                           const core::Clock& clock = core::system_clock());

}  // namespace iotfleet::auth
