#pragma once
// The rotation cycle's settings (shared/specs/rotation.md), flag > environment > default.

#include <chrono>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"
#include "cron/settings.hpp"

namespace iotfleet::rotation {

inline constexpr core::Setting kTimeout{"--timeout", "ROTATION_TIMEOUT_SECONDS", "300"};
inline constexpr core::Setting kMaxInFlight{"--max-in-flight", "ROTATION_MAX_IN_FLIGHT", "1"};
inline constexpr core::Setting kBackoffBase{"--backoff-base", "ROTATION_BACKOFF_BASE_SECONDS", "600"};
inline constexpr core::Setting kBackoffCap{"--backoff-cap", "ROTATION_BACKOFF_CAP_SECONDS", "86400"};
inline constexpr core::Setting kCertDays{"--cert-days", "ROTATION_CERT_DAYS", "365"};

struct CycleSettings {
  cron::RotationSchedule schedule;
  std::chrono::seconds timeout{300};
  int max_in_flight = 1;
  std::chrono::seconds backoff_base{600};
  std::chrono::seconds backoff_cap{86400};
  int cert_days = 365;  // validity of the certificates a certificate rotation issues
};

/// Flag values; nullopt falls back to the environment, then the default.
struct CycleFlags {
  std::optional<std::string> cron, tz, timeout, max_in_flight, backoff_base, backoff_cap, cert_days;
};

/// Reads and checks every setting (whole numbers in range: a time-out of 10 s to 1 day, a window
/// of 1 to 10,000 devices, certificates valid 1 to 3650 days, a back-off base of 1 s or more and a cap not below it). A bad value is
/// a usage error naming the flag and the variable.
core::Result<CycleSettings> load_cycle_settings(const core::Config& config, const CycleFlags& flags);

}  // namespace iotfleet::rotation
