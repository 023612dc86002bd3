#pragma once
// Verification of the access tokens Keycloak issues to devices (specs/keycloak.md "Device
// tokens"), in this order, cheapest and least trusting first:
//   1. the shape (jwt.hpp): size, segments, base64url, JSON, UTF-8;
//   2. the header: "alg" in the allow-list ("none" and HMAC never), a "kid";
//   3. the signature, with the realm's key for that kid (jwks.hpp; unknown kid → one refetch);
//   4. the claims: iss, aud, exp/nbf/iat with the allowed skew, typ, and azp / client_id, which
//      must be the same device client id iotdevice-<model>-<key>.
// Whether that device exists, is active and may touch the resource is the Authenticator's job
// (authenticator.hpp), on every request: a cached token must not outlive its device.

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "auth/jwks.hpp"
#include "auth/rejection.hpp"
#include "core/config.hpp"

namespace iotfleet::auth {

inline constexpr core::Setting kIssuerUrl{"--oidc-issuer-url", "OIDC_ISSUER_URL", ""};
inline constexpr core::Setting kAudience{"--oidc-audience", "OIDC_AUDIENCE", ""};
inline constexpr core::Setting kClockSkew{"--oidc-clock-skew", "OIDC_CLOCK_SKEW_SECONDS", "30"};
inline constexpr core::Setting kAllowedAlgorithms{"--oidc-algorithms", "OIDC_ALLOWED_ALGS",
                                                  "RS256"};
inline constexpr core::Setting kOidcCaFile{"--oidc-ca-file", "OIDC_CA_FILE", ""};

struct VerifierSettings {
  std::string issuer;    // exact "iss", e.g. https://keycloak.example.org/realms/iot
  std::string audience;  // must be in "aud"
  std::int64_t clock_skew = 30;
  std::set<std::string, std::less<>> algorithms{"RS256"};
  std::size_t cache_entries =
      10000;  // verified tokens kept until they expire; 0 turns the cache off

  /// OIDC_ISSUER_URL and OIDC_AUDIENCE are required; OIDC_ALLOWED_ALGS is a comma-separated
  /// subset of RS256,RS384,RS512,PS256,ES256,ES384 (HS* and none are refused as settings too).
  static core::Result<VerifierSettings> load(const core::Config& config);
};

/// What a verified token says about its bearer.
struct TokenIdentity {
  std::string client_id;  // iotdevice-<model>-<key>
  std::string model_code;
  std::string device_key;
  std::string subject;  // "sub": the service-account user
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
};

class TokenVerifier {
 public:
  TokenVerifier(VerifierSettings settings, JwksCache& keys,
                const core::Clock& clock = core::system_clock());

  /// Verifies a token (the part after "Bearer "). Thread-safe. A token verified before is found
  /// in the cache by its SHA-256 until it expires, without checking its signature again.
  Verdict<TokenIdentity> verify(std::string_view token);

  const VerifierSettings& settings() const { return s_; }
  std::size_t cache_hits() const;

 private:
  Verdict<TokenIdentity> verify_uncached(std::string_view token);
  std::optional<TokenIdentity> cached(const std::string& digest, std::int64_t now);
  void remember(const std::string& digest, const TokenIdentity& identity, std::int64_t now);

  VerifierSettings s_;
  JwksCache& keys_;
  const core::Clock& clock_;
  mutable std::mutex cache_mutex_;
  std::unordered_map<std::string, TokenIdentity> cache_;
  std::size_t hits_ = 0;
};

/// SHA-256 of the token, as raw bytes in a string (the cache key).
std::string token_digest(std::string_view token);

}  // namespace iotfleet::auth
