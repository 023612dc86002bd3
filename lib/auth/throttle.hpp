#pragma once
// Brute-force protection for device authentication (issue 11): failures are counted per client
// address and per device key in a sliding window; past a limit the source is blocked, for a
// time that doubles with each repeat offence, and the endpoint answers 429 with Retry-After
// before any signature check or HMAC. Successes never count, so an honest device is only held
// up by failures made in its own name or from its own address.
//
// The sliding window is the two-bucket approximation (the previous window's count weighted by
// how much of it still overlaps): two counters per source instead of a timestamp per failure.
// Memory is bounded: each table keeps at most `capacity` sources, evicting the least recently
// seen; an attacker cycling through more addresses than that loses his own history first.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"

namespace iotfleet::auth {

struct ThrottleSettings {
  int address_limit = 30;  // failures per address within the window; the last one blocks
  int device_limit = 10;   // failures per device key within the window
  std::chrono::seconds window{60};
  std::chrono::seconds first_block{60};  // doubled per repeat offence...
  std::chrono::seconds max_block{3600};  // ...up to this
  std::size_t capacity = 65536;          // sources remembered per table
};

enum class ThrottleScope { none, address, device };
const char* scope_name(ThrottleScope s);

struct ThrottleVerdict {
  bool allowed = true;
  ThrottleScope scope = ThrottleScope::none;  // which limit blocked
  std::chrono::seconds retry_after{0};        // whole seconds, rounded up, at least 1 when blocked
};

class Throttle {
 public:
  Throttle(ThrottleSettings settings, const core::Clock& clock);

  /// Before authenticating: is this address (or the device key it names; may be empty) blocked?
  ThrottleVerdict check(std::string_view address, std::string_view device_key);

  /// After a failed authentication. Returns the verdict for the next request; `newly_blocked`
  /// is set when this failure started a block (log it once, not per request).
  ThrottleVerdict failure(std::string_view address, std::string_view device_key,
                          bool* newly_blocked = nullptr);

  /// Sources currently remembered (both tables); never more than 2 × capacity.
  std::size_t tracked() const;

 private:
  struct Entry {
    std::int64_t window_start = 0;  // seconds
    std::uint32_t current = 0, previous = 0;
    std::int64_t blocked_until = 0;
    std::uint32_t offences = 0;
    std::int64_t last_offence = 0;
  };
  class Table {
   public:
    explicit Table(std::size_t capacity) : capacity_(capacity) {}
    Entry* find(std::string_view key);
    Entry& touch(std::string_view key);  // find or insert, most recently used
    std::size_t size() const { return index_.size(); }

   private:
    using Order = std::list<std::pair<std::string, Entry>>;
    std::size_t capacity_;
    Order order_;  // most recent first
    std::unordered_map<std::string_view, Order::iterator> index_;
  };

  std::chrono::seconds remaining(const Entry& e, std::int64_t now) const;
  bool record(Entry& e, int limit, std::int64_t now);  // true when a block starts
  std::int64_t now_seconds() const;

  ThrottleSettings s_;
  const core::Clock& clock_;
  mutable std::mutex mutex_;
  Table addresses_, devices_;
};

/// The address to throttle: the peer, unless the peer is a trusted proxy; then the rightmost
/// X-Forwarded-For entry that is not itself a trusted proxy. Proxies are addresses or CIDR
/// ranges ("10.0.0.0/8", "fd00::/8"). Malformed header entries end the walk.
class TrustedProxies {
 public:
  /// Fails (returns false, with `error` set) on an entry that is not an address or range.
  bool add(std::string_view cidr, std::string* error);
  bool contains(std::string_view address) const;
  bool empty() const { return ranges_.empty(); }
  std::string client_address(std::string_view peer, std::string_view x_forwarded_for) const;

 private:
  struct Range {
    int family = 0;  // AF_INET or AF_INET6
    std::uint8_t bytes[16] = {};
    int prefix = 0;
  };
  std::vector<Range> ranges_;
};

}  // namespace iotfleet::auth
