#include "auth/jwt.hpp"

#include <set>
#include <vector>

namespace iotfleet::auth {
namespace {

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Decodes one segment and insists on the canonical encoding (no padding, no stray low bits), so a
// token has exactly one spelling.
std::optional<core::Bytes> decode_segment(std::string_view s) {
  auto bytes = core::base64url_decode(s);
  if (!bytes || core::base64url_encode(*bytes) != s) return std::nullopt;
  return bytes;
}

}  // namespace

std::string string_member(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return "";
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

nlohmann::json parse_strict_json(std::string_view text) {
  std::vector<std::set<std::string>> names;  // member names per open object
  bool duplicate = false;
  const nlohmann::json::parser_callback_t cb = [&](int, nlohmann::json::parse_event_t event,
                                                   nlohmann::json& parsed) {
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        names.emplace_back();
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!names.empty()) names.pop_back();
        break;
      case nlohmann::json::parse_event_t::key:
        if (!names.empty() && !names.back().insert(parsed.get<std::string>()).second)
          duplicate = true;
        break;
      default:
        break;
    }
    return true;
  };
  // nlohmann checks UTF-8 in strings; allow_exceptions=false gives a discarded value on errors.
  auto j = nlohmann::json::parse(text.begin(), text.end(), cb, false);
  if (duplicate) return nlohmann::json(nlohmann::json::value_t::discarded);
  return j;
}

Verdict<Jws> parse_jws(std::string_view token) {
  if (token.size() > kMaxTokenBytes)
    return reject(Reason::token_too_large, "token of " + std::to_string(token.size()) +
                                               " bytes (at most " + std::to_string(kMaxTokenBytes) +
                                               ")");
  if (token.empty()) return reject(Reason::malformed_token, "empty token");
  std::size_t dots = 0;
  for (char c : token) {
    if (c == '.')
      ++dots;
    else if (!is_base64url_char(c))
      return reject(Reason::malformed_token, "the token has a character outside base64url and '.'");
  }
  if (dots != 2)
    return reject(Reason::malformed_token,
                  "not a compact JWS (needs three segments, has " + std::to_string(dots + 1) + ")");
  const auto d1 = token.find('.'), d2 = token.find('.', d1 + 1);
  const std::string_view h = token.substr(0, d1), p = token.substr(d1 + 1, d2 - d1 - 1),
                         s = token.substr(d2 + 1);
  if (h.empty() || p.empty())
    return reject(Reason::malformed_token, "empty header or payload segment");

  const auto header_bytes = decode_segment(h);
  const auto payload_bytes = decode_segment(p);
  auto signature = decode_segment(s);
  if (!header_bytes || !payload_bytes || !signature)
    return reject(Reason::malformed_token, "a segment is not canonical base64url");

  Jws jws;
  const auto text = [](const core::Bytes& b) {
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  };
  jws.header = parse_strict_json(text(*header_bytes));
  if (jws.header.is_discarded() || !jws.header.is_object())
    return reject(Reason::malformed_token,
                  "the header is not a JSON object (UTF-8, no duplicate names)");
  jws.claims = parse_strict_json(text(*payload_bytes));
  if (jws.claims.is_discarded() || !jws.claims.is_object())
    return reject(Reason::malformed_token,
                  "the payload is not a JSON object (UTF-8, no duplicate names)");

  const auto alg = jws.header.find("alg");
  if (alg == jws.header.end() || !alg->is_string())
    return reject(Reason::malformed_token, "the header has no \"alg\"");
  jws.alg = alg->get<std::string>();
  if (const auto kid = jws.header.find("kid"); kid != jws.header.end()) {
    if (!kid->is_string())
      return reject(Reason::malformed_token, "the header's \"kid\" is not a string");
    jws.kid = kid->get<std::string>();
  }
  // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
  if (jws.header.contains("crit"))
    return reject(Reason::malformed_token, "the header has \"crit\" extensions");
  jws.signing_input = token.substr(0, d2);
  jws.signature = std::move(*signature);
  return jws;
}

}  // namespace iotfleet::auth
