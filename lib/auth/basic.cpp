#include "auth/basic.hpp"

#include "core/device_key.hpp"
#include "core/encoding.hpp"

namespace iotfleet::auth {

Verdict<BasicCredentials> parse_basic(std::string_view credentials) {
  if (credentials.size() > kMaxBasicBytes)
    return reject(Reason::malformed_basic,
                  "Basic credentials of " + std::to_string(credentials.size()) + " bytes");
  const auto bytes = core::base64_decode(credentials);
  if (!bytes) return reject(Reason::malformed_basic, "Basic credentials are not base64");
  const std::string text(bytes->begin(), bytes->end());
  const auto colon = text.find(':');
  if (colon == std::string::npos)
    return reject(Reason::malformed_basic, "Basic credentials without ':'");
  BasicCredentials c{text.substr(0, colon), text.substr(colon + 1)};
  if (!core::is_valid_device_key(c.device_key))
    return reject(Reason::malformed_basic, "the Basic user is not a device key");
  if (c.secret.empty()) return reject(Reason::malformed_basic, "empty secret");
  for (char ch : c.secret)
    if (ch < 0x21 || ch > 0x7e)
      return reject(Reason::malformed_basic, "the secret has characters outside printable ASCII");
  return c;
}

}  // namespace iotfleet::auth
