#include "auth/jwks.hpp"

namespace iotfleet::auth {

std::int64_t epoch_seconds(const core::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

JwksCache::JwksCache(JwksFetch fetch, const core::Clock& clock, std::chrono::seconds min_refetch,
                     std::chrono::seconds max_age)
    : fetch_(std::move(fetch)),
      clock_(clock),
      min_refetch_(min_refetch.count()),
      max_age_(max_age.count()) {}

std::shared_ptr<const KeySet> JwksCache::snapshot(std::int64_t& fetched_at) const {
  std::lock_guard lock(state_mutex_);
  fetched_at = fetched_at_;
  return keys_;
}

std::size_t JwksCache::fetches() const {
  std::lock_guard lock(state_mutex_);
  return fetches_;
}

void JwksCache::fetch_locked(std::int64_t now) {
  {
    std::lock_guard lock(state_mutex_);
    // The rate limit counts attempts, failed ones too: a down IdP is not hammered either.
    if (attempted_ && now - last_attempt_ < min_refetch_) return;
    attempted_ = true;
    last_attempt_ = now;
    ++fetches_;
  }
  auto text = fetch_();
  auto set = text ? parse_jwks(*text) : core::Result<KeySet>(text.error());
  std::lock_guard lock(state_mutex_);
  if (!set) {
    last_error_ = set.error().message;
    return;
  }
  keys_ = std::make_shared<const KeySet>(std::move(*set));
  fetched_at_ = now;
  last_error_.clear();
}

KeyLookup JwksCache::find(const std::string& kid) {
  const std::int64_t now = epoch_seconds(clock_);
  std::int64_t fetched_at = 0;
  auto keys = snapshot(fetched_at);
  const bool stale = !keys || now - fetched_at >= max_age_;
  if (!stale) {
    if (const Jwk* k = keys->find(kid)) return {keys, k, false, {}};
  }
  {
    std::lock_guard fetching(fetch_mutex_);
    // Another thread may have fetched while this one waited: look again before fetching.
    keys = snapshot(fetched_at);
    const bool known = keys && keys->find(kid);
    if (!keys || now - fetched_at >= max_age_ || !known) fetch_locked(now);
    keys = snapshot(fetched_at);
  }
  if (!keys) {
    std::lock_guard lock(state_mutex_);
    return {nullptr, nullptr, true,
            last_error_.empty() ? "the JWKS has not been fetched" : last_error_};
  }
  return {keys, keys->find(kid), false, {}};
}

}  // namespace iotfleet::auth
