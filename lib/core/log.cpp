#include "core/log.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "core/clock.hpp"
#include "core/config.hpp"

namespace iotfleet::core::log {
namespace {

struct State {
  std::mutex mutex;
  std::string program = "iotfleet";
  Level level = Level::info;
  Format format = Format::automatic;
};

State& state() {
  static State s;
  return s;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

}  // namespace

void init(std::string_view program) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.program = program;
  if (auto v = process_env("IOT_LOG_LEVEL")) {
    if (*v == "debug") s.level = Level::debug;
    else if (*v == "warn") s.level = Level::warn;
    else if (*v == "error") s.level = Level::error;
    else s.level = Level::info;
  }
  if (auto v = process_env("IOT_LOG_FORMAT")) {
    if (*v == "json") s.format = Format::json;
    else if (*v == "text") s.format = Format::text;
    else s.format = Format::automatic;
  }
}

void set_level(Level level) {
  std::lock_guard lock(state().mutex);
  state().level = level;
}

void set_format(Format format) {
  std::lock_guard lock(state().mutex);
  state().format = format;
}

bool enabled(Level level) { return level >= state().level; }

std::string format_line(Format format, Level level, std::string_view program,
                        std::string_view message, const nlohmann::json& fields) {
  if (format == Format::json) {
    nlohmann::json line = {{"ts", format_iso_utc(std::chrono::system_clock::now(), true)}, {"level", level_name(level)},
                           {"program", program}, {"msg", message}};
    if (fields.is_object())
      for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out = std::string(program) + ": " + level_name(level) + ": " + std::string(message);
  if (fields.is_object())
    for (auto it = fields.begin(); it != fields.end(); ++it)
      out += " " + it.key() + "=" +
             (it.value().is_string() ? it.value().get<std::string>()
                                     : it.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return out + "\n";
}

void write(Level level, std::string_view message, const nlohmann::json& fields) {
  State& s = state();
  if (level < s.level) return;
  std::lock_guard lock(s.mutex);
  Format f = s.format;
  if (f == Format::automatic) f = ::isatty(STDERR_FILENO) ? Format::text : Format::json;
  const std::string line = format_line(f, level, s.program, message, fields);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace iotfleet::core::log
