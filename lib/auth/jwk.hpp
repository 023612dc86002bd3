#pragma once
// JSON Web Keys (RFC 7517/7518) as OpenSSL EVP_PKEYs, and JWS signature verification for the
// asymmetric algorithms a Keycloak realm can sign with: RS256/384/512 (PKCS#1 v1.5), PS256
// (PSS, salt = hash length) and ES256/384 (raw r||s, converted to DER for OpenSSL). HMAC and
// "none" have no place here: a public key is never used as a shared secret.

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace iotfleet::auth {

/// The algorithms this verifier implements.
bool is_supported_algorithm(std::string_view alg);

struct Jwk {
  std::string kid;
  std::string kty;  // "RSA" or "EC"
  std::string crv;  // "P-256" / "P-384" for EC keys
  std::string alg;  // the key's "alg" if published, else ""
  std::shared_ptr<EVP_PKEY> key;

  /// Whether this key may verify alg: its type and curve fit, and its own "alg" (if any) agrees.
  bool usable_for(std::string_view alg) const;
};

/// The usable signing keys of a JWKS document, by kid. Keys that are not for signatures, of
/// other types (oct), too weak (RSA < 2048 bits), malformed or without a kid are skipped;
/// a document that is not a JWKS is an error.
struct KeySet {
  std::map<std::string, Jwk, std::less<>> keys;
  const Jwk* find(std::string_view kid) const;
};

core::Result<KeySet> parse_jwks(std::string_view json_text);

/// Verifies a JWS signature of `alg` over `signing_input` with `key`. False for any mismatch,
/// including a signature of the wrong length; never throws.
bool verify_signature(std::string_view alg, const Jwk& key, std::string_view signing_input,
                      std::span<const std::uint8_t> signature);

}  // namespace iotfleet::auth
