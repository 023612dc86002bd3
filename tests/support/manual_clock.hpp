#pragma once
// A clock that moves only when a test says so (token expiry, the JWKS refetch limit).

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/clock.hpp"

namespace iotfleet::test_support {

class ManualClock final : public core::Clock {
 public:
  explicit ManualClock(std::int64_t epoch_seconds) : t_(epoch_seconds) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(t_.load()));
  }
  std::int64_t seconds() const { return t_.load(); }
  void set(std::int64_t epoch_seconds) { t_ = epoch_seconds; }
  void advance(std::int64_t seconds) { t_ += seconds; }

 private:
  std::atomic<std::int64_t> t_;
};

}  // namespace iotfleet::test_support
