#pragma once
// HTTP Basic credentials of local identities (RFC 7617): base64("<device_key>:<secret>").

#include <string>
#include <string_view>

#include "auth/rejection.hpp"

namespace iotfleet::auth {

/// Credentials longer than this (base64) are refused unparsed; a real one is about 70 bytes.
inline constexpr std::size_t kMaxBasicBytes = 1024;

struct BasicCredentials {
  std::string device_key;
  std::string secret;
};

/// Parses the part after "Basic ". The user must be a well-formed device key and the secret
/// printable ASCII; messages never contain the secret.
Verdict<BasicCredentials> parse_basic(std::string_view credentials);

}  // namespace iotfleet::auth
