#pragma once
// Logging to stderr: readable text on a terminal, one JSON object per line otherwise (Jobs,
// CronJobs, CI). IOT_LOG_LEVEL (debug|info|warn|error) and IOT_LOG_FORMAT (auto|text|json).
// Never pass a secret in a message or a field.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace iotfleet::core::log {

enum class Level { debug, info, warn, error };
enum class Format { automatic, text, json };

/// Sets the program name and reads IOT_LOG_LEVEL / IOT_LOG_FORMAT. Safe to call again.
void init(std::string_view program);
void set_level(Level level);
void set_format(Format format);
bool enabled(Level level);

void write(Level level, std::string_view message, const nlohmann::json& fields = nlohmann::json::object());
inline void debug(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { write(Level::debug, m, f); }
inline void info(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { write(Level::info, m, f); }
inline void warn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { write(Level::warn, m, f); }
inline void error(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { write(Level::error, m, f); }

/// Formats one line without writing it (for tests).
std::string format_line(Format format, Level level, std::string_view program,
                        std::string_view message, const nlohmann::json& fields);

}  // namespace iotfleet::core::log
