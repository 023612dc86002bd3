// Exponential back-off with full jitter (see backoff.hpp).

#include "iot_device/backoff.hpp"

namespace iot_device {

std::uint32_t Backoff::ceiling() const {
  std::uint64_t bound = base_ms_;
  for (std::uint32_t i = 0; i < failures_ && bound < cap_ms_; ++i) bound *= 2;
  return bound < cap_ms_ ? static_cast<std::uint32_t>(bound) : cap_ms_;
}

std::uint32_t Backoff::next(Random& random) {
  const std::uint32_t bound = ceiling();
  if (failures_ < 32) ++failures_;
  if (bound == 0) return 0;
  // Multiply-shift keeps the distribution uniform enough without a modulo bias of note.
  return static_cast<std::uint32_t>(
      (static_cast<std::uint64_t>(random.next_u32()) * (static_cast<std::uint64_t>(bound) + 1)) >>
      32);
}

}  // namespace iot_device
