#pragma once
// Time behind a small interface (STYLE.md §6), so time-dependent logic is tested with a fake.

#include <chrono>
#include <string>

namespace iotfleet::core {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

/// The system clock.
const Clock& system_clock();

/// "2026-12-05T08:00:00Z", or "2026-12-05T08:00:00.123Z" with milliseconds.
std::string format_iso_utc(std::chrono::system_clock::time_point t, bool milliseconds = false);
inline std::string utc_now_iso(bool milliseconds = false) {
  return format_iso_utc(system_clock().now(), milliseconds);
}

}  // namespace iotfleet::core
