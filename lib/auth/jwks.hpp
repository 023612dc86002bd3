#pragma once
// The realm's signing keys, cached. Keys rotate (specs/keycloak.md): a token with an unknown kid
// makes the cache fetch the JWKS again, but at most once per `min_refetch` (30 s), so a flood of
// tokens with made-up kids costs one request per interval, not one per token. A cached set is
// also refreshed after `max_age`. A failed fetch keeps the keys already known.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "auth/jwk.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace iotfleet::auth {

/// Seconds since the Unix epoch on that clock.
std::int64_t epoch_seconds(const core::Clock& clock);

/// Returns the JWKS document (JSON text).
using JwksFetch = std::function<core::Result<std::string>()>;

struct KeyLookup {
  std::shared_ptr<const KeySet> keys;  // the set the key came from (keeps it alive)
  const Jwk* key = nullptr;            // nullptr: no such kid
  bool unavailable = false;            // no key set at all: the JWKS could not be fetched
  std::string error;                   // why, when unavailable
};

class JwksCache {
 public:
  JwksCache(JwksFetch fetch, const core::Clock& clock,
            std::chrono::seconds min_refetch = std::chrono::seconds(30),
            std::chrono::seconds max_age = std::chrono::hours(1));

  /// The key with this kid, refetching (rate-limited) when it is unknown. Thread-safe; callers
  /// with known kids never wait for a fetch in progress.
  KeyLookup find(const std::string& kid);

  /// How many times the JWKS was fetched (tests, metrics).
  std::size_t fetches() const;

 private:
  std::shared_ptr<const KeySet> snapshot(std::int64_t& fetched_at) const;
  void fetch_locked(std::int64_t now);

  JwksFetch fetch_;
  const core::Clock& clock_;
  std::int64_t min_refetch_, max_age_;

  std::mutex fetch_mutex_;  // one fetch at a time
  mutable std::mutex state_mutex_;
  std::shared_ptr<const KeySet> keys_;
  std::int64_t fetched_at_ = 0;
  std::int64_t last_attempt_ = 0;
  bool attempted_ = false;
  std::string last_error_;
  std::size_t fetches_ = 0;
};

}  // namespace iotfleet::auth
