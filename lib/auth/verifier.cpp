#include "auth/verifier.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>

#include "auth/jwt.hpp"
#include "idp/client_id.hpp"

namespace iotfleet::auth {
namespace {

constexpr double kMaxTime = 1e11;  // year ~5000: larger values are nonsense, not "never expires"

// A NumericDate claim (RFC 7519 §2): a JSON number; absent → nullopt; other types → error.
std::optional<std::int64_t> numeric_date(const nlohmann::json& claims, const char* name,
                                         bool& bad) {
  const auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number()) {
    bad = true;
    return std::nullopt;
  }
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || v > kMaxTime) {
    bad = true;
    return std::nullopt;
  }
  return static_cast<std::int64_t>(std::floor(v));
}

bool audience_contains(const nlohmann::json& claims, const std::string& audience) {
  const auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->is_string()) return it->get<std::string>() == audience;
  if (it->is_array())
    for (const auto& a : *it)
      if (a.is_string() && a.get<std::string>() == audience) return true;
  return false;
}

}  // namespace

core::Result<VerifierSettings> VerifierSettings::load(const core::Config& config) {
  return core::capture([&]() -> core::Result<VerifierSettings> {
    VerifierSettings s;
    s.issuer = config.require(kIssuerUrl).take();
    while (s.issuer.ends_with('/')) s.issuer.pop_back();
    s.audience = config.require(kAudience).take();
    const std::string skew = config.require(kClockSkew).take();
    const auto [end, ec] = std::from_chars(skew.data(), skew.data() + skew.size(), s.clock_skew);
    if (ec != std::errc() || end != skew.data() + skew.size() || s.clock_skew < 0 ||
        s.clock_skew > 600)
      return core::Error::usage(
          "OIDC_CLOCK_SKEW_SECONDS must be a whole number from 0 to 600, not '" + skew + "'");
    s.algorithms.clear();
    const std::string list = config.require(kAllowedAlgorithms).take();
    std::size_t pos = 0;
    while (pos <= list.size()) {
      const std::size_t comma = std::min(list.find(',', pos), list.size());
      std::string alg = list.substr(pos, comma - pos);
      while (!alg.empty() && alg.front() == ' ') alg.erase(alg.begin());
      while (!alg.empty() && alg.back() == ' ') alg.pop_back();
      if (!is_supported_algorithm(alg))
        return core::Error::usage("OIDC_ALLOWED_ALGS: '" + alg +
                                  "' is not one of RS256, RS384, RS512, PS256, ES256, ES384");
      s.algorithms.insert(alg);
      pos = comma + 1;
    }
    return s;
  });
}

std::string token_digest(std::string_view token) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

TokenVerifier::TokenVerifier(VerifierSettings settings, JwksCache& keys, const core::Clock& clock)
    : s_(std::move(settings)), keys_(keys), clock_(clock) {}

std::size_t TokenVerifier::cache_hits() const {
  std::lock_guard lock(cache_mutex_);
  return hits_;
}

std::optional<TokenIdentity> TokenVerifier::cached(const std::string& digest, std::int64_t now) {
  std::lock_guard lock(cache_mutex_);
  const auto it = cache_.find(digest);
  if (it == cache_.end()) return std::nullopt;
  if (now >= it->second.expires_at + s_.clock_skew) {
    cache_.erase(it);
    return std::nullopt;
  }
  ++hits_;
  return it->second;
}

void TokenVerifier::remember(const std::string& digest, const TokenIdentity& identity,
                             std::int64_t now) {
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= s_.cache_entries) {
    std::erase_if(cache_,
                  [&](const auto& e) { return now >= e.second.expires_at + s_.clock_skew; });
    // Still full of live tokens: start over rather than track recency (a flood of valid tokens
    // means many devices, and each costs one signature check again).
    if (cache_.size() >= s_.cache_entries) cache_.clear();
  }
  cache_.emplace(digest, identity);
}

Verdict<TokenIdentity> TokenVerifier::verify(std::string_view token) {
  if (token.size() > kMaxTokenBytes) return verify_uncached(token);  // rejected before hashing
  const std::int64_t now = epoch_seconds(clock_);
  std::string digest;
  if (s_.cache_entries > 0) {
    digest = token_digest(token);
    if (auto hit = cached(digest, now)) return *hit;
  }
  auto verdict = verify_uncached(token);
  if (verdict && s_.cache_entries > 0) remember(digest, *verdict, now);
  return verdict;
}

Verdict<TokenIdentity> TokenVerifier::verify_uncached(std::string_view token) {
  auto parsed = parse_jws(token);
  if (!parsed) return parsed.rejection();
  const Jws& jws = *parsed;

  if (jws.alg == "none" || jws.alg == "None" || jws.alg == "NONE")
    return reject(Reason::alg_none, "unsigned token (alg none)");
  if (jws.alg.starts_with("HS"))
    return reject(Reason::alg_hmac, "HMAC-signed token (" + jws.alg + ")");
  if (!s_.algorithms.contains(jws.alg)) {
    std::string shown = is_supported_algorithm(jws.alg) ? jws.alg : "an unsupported one";
    return reject(Reason::alg_not_allowed,
                  "token algorithm " + shown + " is not in OIDC_ALLOWED_ALGS");
  }
  if (jws.kid.empty()) return reject(Reason::missing_kid, "the token header has no kid");

  const auto lookup = keys_.find(jws.kid);
  if (lookup.unavailable)
    return reject(Reason::keys_unavailable, "no signing keys: " + lookup.error);
  if (!lookup.key)
    return reject(Reason::unknown_kid,
                  "no signing key with the token's kid, even after refetching");
  if (!lookup.key->usable_for(jws.alg))
    return reject(Reason::bad_signature,
                  "the key with the token's kid is not a " + jws.alg + " key");
  if (!verify_signature(jws.alg, *lookup.key, jws.signing_input, jws.signature))
    return reject(Reason::bad_signature, "the signature does not verify");

  // Only signed claims from here on.
  const nlohmann::json& c = jws.claims;
  if (string_member(c, "iss") != s_.issuer)
    return reject(Reason::wrong_issuer, "the token's issuer is not OIDC_ISSUER_URL");
  if (!audience_contains(c, s_.audience))
    return reject(Reason::wrong_audience, "the token's audience does not include OIDC_AUDIENCE");
  if (c.contains("typ") && string_member(c, "typ") != "Bearer")
    return reject(Reason::wrong_token_type, "not an access token (typ is not Bearer)");

  bool bad = false;
  const auto exp = numeric_date(c, "exp", bad), nbf = numeric_date(c, "nbf", bad),
             iat = numeric_date(c, "iat", bad);
  if (bad) return reject(Reason::missing_claim, "exp, nbf or iat is not a valid NumericDate");
  if (!exp) return reject(Reason::missing_claim, "the token has no exp");
  if (!iat) return reject(Reason::missing_claim, "the token has no iat");
  const std::int64_t now = epoch_seconds(clock_);
  if (now >= *exp + s_.clock_skew)
    return reject(Reason::expired, "the token expired " + std::to_string(now - *exp) + " s ago");
  if (nbf && now + s_.clock_skew < *nbf)
    return reject(Reason::not_yet_valid, "the token is not valid yet (nbf)");
  if (now + s_.clock_skew < *iat)
    return reject(Reason::issued_in_future, "the token was issued in the future (iat)");

  // azp is the client the token was issued to; client_id (Keycloak 21.1+) or clientId (older)
  // say the same for service accounts. Every one present must agree.
  std::string client_id;
  for (const char* name : {"azp", "client_id", "clientId"}) {
    if (!c.contains(name)) continue;
    const std::string v = string_member(c, name);
    if (v.empty() || (!client_id.empty() && v != client_id))
      return reject(Reason::not_a_device_client,
                    "azp, client_id and clientId disagree or are not strings");
    client_id = v;
  }
  if (client_id.empty())
    return reject(Reason::missing_claim, "the token has neither azp nor client_id");
  const auto device = idp::parse_client_id(client_id);
  if (!device)
    return reject(Reason::not_a_device_client, "the token's client is not a device client");

  return TokenIdentity{
      client_id, device->model_code, device->device_key, string_member(c, "sub"), *iat, *exp};
}

}  // namespace iotfleet::auth
