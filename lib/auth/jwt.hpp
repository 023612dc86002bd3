#pragma once
// Compact JWS parsing (RFC 7515 §7.1) with the strictness a verifier needs: exactly three
// segments of canonical base64url, a header and a payload that are JSON objects in UTF-8 with no
// duplicate member names, and at most kMaxTokenBytes in all. Anything else is rejected before
// any key is looked at. Signature checking is in jwk.hpp; claim checking in verifier.hpp.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/rejection.hpp"
#include "core/encoding.hpp"

namespace iotfleet::auth {

/// Keycloak's access tokens are 1–2 KiB; anything over this is refused unparsed.
inline constexpr std::size_t kMaxTokenBytes = 8192;

struct Jws {
  nlohmann::json header;           // an object
  nlohmann::json claims;           // an object
  std::string alg;                 // header "alg" (a string; checked against the allow-list later)
  std::string kid;                 // header "kid", "" when absent
  std::string_view signing_input;  // "<header>.<payload>" as it appears in the token
  core::Bytes signature;
};

/// Parses a token. signing_input points into `token`, which must outlive the result.
Verdict<Jws> parse_jws(std::string_view token);

/// The string member `name` of a JSON object, or "" when absent or not a string (never throws,
/// unlike json::value()).
std::string string_member(const nlohmann::json& object, const char* name);

/// Parses JSON text strictly: UTF-8, no duplicate member names, no trailing bytes.
/// Returns a discarded value on any failure (never throws).
nlohmann::json parse_strict_json(std::string_view text);

}  // namespace iotfleet::auth
