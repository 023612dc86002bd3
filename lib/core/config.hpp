#pragma once
// Configuration: every option is a flag and an environment variable; the flag wins, then the
// variable, then "<VARIABLE>_FILE" (a path whose contents are the value, for Kubernetes secret
// mounts), then the default. Secrets never come from flags (DESIGN.md "Configuration").

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace iotfleet::core {

struct Setting {
  std::string_view flag;      // "--database-url"; empty for settings that are never flags
  std::string_view env;       // "DATABASE_URL"
  std::string_view fallback;  // default value; empty means "no default"
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The real process environment (getenv). Empty variables count as unset.
std::optional<std::string> process_env(const std::string& name);

class Config {
 public:
  explicit Config(EnvLookup env = process_env) : env_(std::move(env)) {}

  /// The value of a setting, or nullopt when none of flag, variable, file or default gives one.
  /// Throws Failure when <VARIABLE>_FILE names a file that cannot be read.
  std::optional<std::string> get(const Setting& s,
                                 const std::optional<std::string>& flag_value = std::nullopt) const;

  /// As get(), but a missing value is a usage error naming both the flag and the variable.
  Result<std::string> require(const Setting& s,
                              const std::optional<std::string>& flag_value = std::nullopt) const;

 private:
  EnvLookup env_;
};

/// "missing setting: give --database-url or set DATABASE_URL" (or just the variable).
std::string missing_setting_message(const Setting& s);

}  // namespace iotfleet::core
