#pragma once
// Brute-force protection in front of authentication (issue 11): the endpoint's AuthHook over
// auth::Throttle. Before authenticating, a request from a blocked address, or naming a blocked
// device key, is answered 429 with Retry-After: no signature check, no HMAC, no database.
// The device key is what the request claims (the user of Basic credentials, the CN of a client
// certificate); bearer tokens are counted per address only, since their claims are unproven
// until the signature is checked.

#include <atomic>
#include <optional>
#include <string>

#include "auth/throttle.hpp"
#include "http/handlers.hpp"

namespace iotfleet::http {

class ThrottleHook final : public AuthHook {
 public:
  ThrottleHook(auth::Throttle& throttle, const auth::TrustedProxies& proxies)
      : throttle_(throttle), proxies_(proxies) {}

  std::optional<Response> before(const Request& r) override;
  void after(const Request& r, bool accepted, std::optional<auth::Reason> reason) override;

  /// 429 answers so far, by scope (for /metrics).
  std::uint64_t refused(auth::ThrottleScope scope) const;

 private:
  std::string address(const Request& r) const;
  static std::string claimed_device(const Request& r);

  auth::Throttle& throttle_;
  const auth::TrustedProxies& proxies_;
  std::atomic<std::uint64_t> refused_address_{0}, refused_device_{0};
};

}  // namespace iotfleet::http
