#include "http/throttle_hook.hpp"

#include "auth/basic.hpp"
#include "core/log.hpp"

namespace iotfleet::http {

std::string ThrottleHook::address(const Request& r) const {
  return proxies_.client_address(r.peer, r.x_forwarded_for);
}

std::string ThrottleHook::claimed_device(const Request& r) {
  if (r.client_cert_cn) return *r.client_cert_cn;
  constexpr std::string_view basic = "Basic ";
  if (r.authorization.size() > basic.size() && r.authorization.substr(0, basic.size()) == basic) {
    auto parsed = auth::parse_basic(r.authorization.substr(basic.size()));
    if (parsed) return parsed.value().device_key;
  }
  return {};
}

std::optional<Response> ThrottleHook::before(const Request& r) {
  const auto verdict = throttle_.check(address(r), claimed_device(r));
  if (verdict.allowed) return std::nullopt;
  (verdict.scope == auth::ThrottleScope::address ? refused_address_ : refused_device_)
      .fetch_add(1, std::memory_order_relaxed);
  auto response = error_response(429, "too_many_requests",
                                 "too many failed authentications; retry after the time given");
  response.headers.emplace_back(
      "Retry-After", std::to_string(std::max<long long>(1, verdict.retry_after.count())));
  return response;
}

void ThrottleHook::after(const Request& r, bool accepted, std::optional<auth::Reason> reason) {
  if (accepted) return;
  // An outage is not the caller's failure.
  if (reason == auth::Reason::directory_unavailable || reason == auth::Reason::keys_unavailable)
    return;
  bool newly_blocked = false;
  const auto who = address(r);
  const auto device = claimed_device(r);
  const auto verdict = throttle_.failure(who, device, &newly_blocked);
  if (newly_blocked)
    core::log::warn("authentication blocked after repeated failures",
                    {{"scope", auth::scope_name(verdict.scope)},
                     {"address", who},
                     {"device", device},
                     {"seconds", verdict.retry_after.count()}});
}

std::uint64_t ThrottleHook::refused(auth::ThrottleScope scope) const {
  return scope == auth::ThrottleScope::address ? refused_address_.load() : refused_device_.load();
}

}  // namespace iotfleet::http
