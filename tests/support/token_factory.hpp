#pragma once
// Keys and signed tokens made in-process with OpenSSL, for unit tests and the benchmark. The
// integration tests cross-check the verifier against the stand-in's independent signer
// (python-jwt); this factory only saves them a process where speed or isolation matters.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

typedef struct evp_pkey_st EVP_PKEY;

namespace iotfleet::test_support {

struct TestKey {
  std::string alg;  // RS256, RS384, RS512, PS256, ES256, ES384
  std::string kid;
  std::shared_ptr<EVP_PKEY> key;  // private

  /// The public key as a JWK with kid, alg and use.
  nlohmann::json jwk() const;
};

TestKey make_key(const std::string& alg, const std::string& kid);

/// {"keys": [...]} of the keys' public halves.
std::string jwks_of(const std::vector<const TestKey*>& keys);

/// A compact JWS: header {"alg", "kid", "typ": "JWT"} merged with `header`, over `claims`.
std::string sign_token(const TestKey& key, const nlohmann::json& claims,
                       const nlohmann::json& header = nlohmann::json::object());

/// base64url(JSON) of a value, for hand-made tokens.
std::string b64_json(const nlohmann::json& value);

}  // namespace iotfleet::test_support
