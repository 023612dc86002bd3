#include "core/config.hpp"

#include <cstdlib>

#include "core/files.hpp"

namespace iotfleet::core {

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::optional<std::string> Config::get(const Setting& s,
                                       const std::optional<std::string>& flag_value) const {
  if (flag_value) return flag_value;
  if (s.env.empty()) return s.fallback.empty() ? std::nullopt : std::optional<std::string>(s.fallback);
  const std::string env(s.env);
  if (auto v = env_(env)) return v;
  if (auto path = env_(env + "_FILE")) {
    auto contents = read_file(*path, 1 << 20);
    if (!contents)
      throw Failure(Error::usage(env + "_FILE: " + contents.error().message));
    std::string value = std::move(*contents);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
  }
  if (!s.fallback.empty()) return std::string(s.fallback);
  return std::nullopt;
}

Result<std::string> Config::require(const Setting& s,
                                    const std::optional<std::string>& flag_value) const {
  return capture([&]() -> Result<std::string> {
    if (auto v = get(s, flag_value)) return *v;
    return Error::usage(missing_setting_message(s));
  });
}

std::string missing_setting_message(const Setting& s) {
  if (s.flag.empty()) return "missing setting: set " + std::string(s.env);
  if (s.env.empty()) return "missing setting: give " + std::string(s.flag);
  return "missing setting: give " + std::string(s.flag) + " or set " + std::string(s.env);
}

}  // namespace iotfleet::core
