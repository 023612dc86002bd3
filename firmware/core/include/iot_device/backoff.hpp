#pragma once
// Exponential back-off with full jitter: the n-th consecutive failure waits a uniformly random
// time in [0, min(cap, base·2^n)] (so a fleet that lost its server does not return in step).

#include <cstdint>

#include "iot_device/ports.hpp"

namespace iot_device {

class Backoff {
 public:
  Backoff() = default;
  Backoff(std::uint32_t base_ms, std::uint32_t cap_ms) : base_ms_(base_ms), cap_ms_(cap_ms) {}

  /// The upper bound of the next delay: min(cap, base·2^failures).
  std::uint32_t ceiling() const;
  /// Records one more failure and returns the delay before the next attempt.
  std::uint32_t next(Random& random);
  void reset() { failures_ = 0; }
  std::uint32_t failures() const { return failures_; }

 private:
  std::uint32_t base_ms_ = 1'000;
  std::uint32_t cap_ms_ = 300'000;
  std::uint32_t failures_ = 0;
};

}  // namespace iot_device
