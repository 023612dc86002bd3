#include "auth/throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace iotfleet::auth {

const char* scope_name(ThrottleScope s) {
  switch (s) {
    case ThrottleScope::none: return "none";
    case ThrottleScope::address: return "address";
    case ThrottleScope::device: return "device";
  }
  return "?";
}

Throttle::Entry* Throttle::Table::find(std::string_view key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return &it->second->second;
}

Throttle::Entry& Throttle::Table::touch(std::string_view key) {
  if (Entry* e = find(key)) return *e;
  if (capacity_ == 0) {
    static thread_local Entry scratch;
    scratch = {};
    return scratch;
  }
  if (index_.size() >= capacity_) {
    index_.erase(std::string_view(order_.back().first));
    order_.pop_back();
  }
  order_.emplace_front(std::string(key), Entry{});
  index_.emplace(std::string_view(order_.front().first), order_.begin());
  return order_.front().second;
}

Throttle::Throttle(ThrottleSettings settings, const core::Clock& clock)
    : s_(settings), clock_(clock), addresses_(settings.capacity), devices_(settings.capacity) {}

std::int64_t Throttle::now_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

std::chrono::seconds Throttle::remaining(const Entry& e, std::int64_t now) const {
  return std::chrono::seconds(std::max<std::int64_t>(0, e.blocked_until - now));
}

bool Throttle::record(Entry& e, int limit, std::int64_t now) {
  const std::int64_t w = s_.window.count();
  const std::int64_t start = now - now % w;
  if (start != e.window_start) {
    e.previous = (start - e.window_start == w) ? e.current : 0;
    e.current = 0;
    e.window_start = start;
  }
  ++e.current;
  if (e.blocked_until > now) return false;
  // The previous window counts for the part of it the sliding window still covers.
  const double overlap = double(w - (now - start)) / double(w);
  const double in_window = e.current + e.previous * overlap;
  if (in_window < limit) return false;  // `limit` failures are allowed; the limit-th blocks
  // Repeat offences double the block; a quiet spell as long as the longest block forgives them.
  if (now - e.last_offence > s_.max_block.count()) e.offences = 0;
  const auto shift = std::min<std::uint32_t>(e.offences, 20);
  const std::int64_t block = std::min<std::int64_t>(s_.first_block.count() << shift, s_.max_block.count());
  e.blocked_until = now + block;
  e.last_offence = now;
  ++e.offences;
  e.current = 0;
  e.previous = 0;
  return true;
}

ThrottleVerdict Throttle::check(std::string_view address, std::string_view device_key) {
  const auto now = now_seconds();
  std::lock_guard lock(mutex_);
  if (const Entry* e = addresses_.find(address); e && e->blocked_until > now)
    return {false, ThrottleScope::address, remaining(*e, now)};
  if (!device_key.empty())
    if (const Entry* e = devices_.find(device_key); e && e->blocked_until > now)
      return {false, ThrottleScope::device, remaining(*e, now)};
  return {};
}

ThrottleVerdict Throttle::failure(std::string_view address, std::string_view device_key,
                                  bool* newly_blocked) {
  const auto now = now_seconds();
  std::lock_guard lock(mutex_);
  bool started = false;
  Entry& a = addresses_.touch(address);
  started |= record(a, s_.address_limit, now);
  ThrottleVerdict verdict;
  if (a.blocked_until > now) verdict = {false, ThrottleScope::address, remaining(a, now)};
  if (!device_key.empty()) {
    Entry& d = devices_.touch(device_key);
    started |= record(d, s_.device_limit, now);
    if (verdict.allowed && d.blocked_until > now)
      verdict = {false, ThrottleScope::device, remaining(d, now)};
  }
  if (newly_blocked) *newly_blocked = started;
  return verdict;
}

std::size_t Throttle::tracked() const {
  std::lock_guard lock(mutex_);
  return addresses_.size() + devices_.size();
}

namespace {

bool parse_address(std::string_view text, int* family, std::uint8_t* bytes) {
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), bytes) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), bytes) == 1) {
    *family = AF_INET6;
    return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool TrustedProxies::add(std::string_view cidr, std::string* error) {
  Range r;
  const auto slash = cidr.find('/');
  const auto address = trim(cidr.substr(0, slash));
  if (!parse_address(address, &r.family, r.bytes)) {
    if (error) *error = "'" + std::string(cidr) + "' is not an IP address or CIDR range";
    return false;
  }
  const int max = r.family == AF_INET ? 32 : 128;
  r.prefix = max;
  if (slash != std::string_view::npos) {
    const auto p = trim(cidr.substr(slash + 1));
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), r.prefix);
    if (ec != std::errc() || end != p.data() + p.size() || r.prefix < 0 || r.prefix > max) {
      if (error) *error = "'" + std::string(cidr) + "': the prefix length must be 0-" + std::to_string(max);
      return false;
    }
  }
  ranges_.push_back(r);
  return true;
}

bool TrustedProxies::contains(std::string_view address) const {
  int family = 0;
  std::uint8_t bytes[16] = {};
  if (!parse_address(trim(address), &family, bytes)) return false;
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const Range& r) {
    if (r.family != family) return false;
    const int full = r.prefix / 8, rest = r.prefix % 8;
    if (std::memcmp(r.bytes, bytes, full) != 0) return false;
    if (rest == 0) return true;
    const std::uint8_t mask = std::uint8_t(0xff << (8 - rest));
    return (r.bytes[full] & mask) == (bytes[full] & mask);
  });
}

std::string TrustedProxies::client_address(std::string_view peer, std::string_view xff) const {
  if (xff.empty() || !contains(peer)) return std::string(peer);
  std::string candidate(peer);
  // Right to left: each hop was added by the proxy before it; stop at the first untrusted one.
  while (!xff.empty()) {
    const auto comma = xff.rfind(',');
    const auto entry = trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
    xff = comma == std::string_view::npos ? std::string_view() : xff.substr(0, comma);
    int family = 0;
    std::uint8_t bytes[16] = {};
    if (!parse_address(entry, &family, bytes)) break;
    candidate.assign(entry);
    if (!contains(entry)) break;
  }
  return candidate;
}

}  // namespace iotfleet::auth
