#include "auth/oidc.hpp"

#include "auth/jwt.hpp"

namespace iotfleet::auth {
namespace {

core::Result<std::string> get(idp::HttpClient& http, const std::string& url,
                              const std::string& what) {
  auto r = http.send({"GET", url, {"Accept: application/json"}, ""});
  if (!r)
    return core::Error{r.error().kind, what + " at " + url + ": " + r.error().message,
                       r.error().hint};
  if (r->status != 200) {
    const std::string message = what + " at " + url + " answered " + std::to_string(r->status);
    if (r->status >= 500) return core::Error::unavailable(message);
    return core::Error::failure(message);
  }
  return std::move(r->body);
}

}  // namespace

JwksFetch discovery_fetch(std::string issuer, std::shared_ptr<idp::HttpClient> http) {
  while (issuer.ends_with('/')) issuer.pop_back();
  return [issuer, http]() -> core::Result<std::string> {
    const std::string url = issuer + "/.well-known/openid-configuration";
    auto text = get(*http, url, "OIDC discovery");
    if (!text) return text.error();
    const auto doc = parse_strict_json(*text);
    if (doc.is_discarded() || !doc.is_object())
      return core::Error::failure("OIDC discovery at " + url + " is not a JSON object");
    if (string_member(doc, "issuer") != issuer)
      return core::Error::failure("OIDC discovery at " + url + " names another issuer",
                                  "OIDC_ISSUER_URL must be exactly the realm's issuer, e.g. "
                                  "https://keycloak.example.org/realms/iot");
    const std::string jwks_uri = string_member(doc, "jwks_uri");
    if (!jwks_uri.starts_with("https://") && !jwks_uri.starts_with("http://"))
      return core::Error::failure("OIDC discovery at " + url + " has no usable jwks_uri");
    return get(*http, jwks_uri, "the JWKS");
  };
}

std::unique_ptr<JwksCache> make_jwks_cache(const VerifierSettings& settings,
                                           const core::Config& config, const core::Clock& clock) {
  idp::HttpOptions options;
  options.ca_file = config.get(kOidcCaFile).value_or("");
  options.max_response_bytes = 1u << 20;
  return std::make_unique<JwksCache>(
      discovery_fetch(settings.issuer, std::make_shared<idp::CurlHttpClient>(options)), clock);
}

}  // namespace iotfleet::auth
