#pragma once
// Command-line manners shared by every executable (STYLE.md §5): --help to stdout with exit 0,
// a usage error as one line plus "see 'prog --help'" with exit 2, "did you mean" for unknown
// subcommands, and one "prog: error: ..." line per failure with the exit code of its kind.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <functional>
#include <string>

#include "core/error.hpp"

namespace iotfleet::cli {

enum class OutputFormat { table, json };

/// Adds "--output table|json" to a (sub)command, bound to out.
CLI::Option* add_output_option(CLI::App& app, OutputFormat& out);

/// Runs a CLI11 app: parses argv, which calls the callbacks the subcommands registered. Every
/// core::Failure and every CLI11 error is printed the same way; returns the exit code.
int run(CLI::App& app, int argc, char** argv);

/// Prints "prog: error: message" (and "  hint: ..." when there is one) to stderr; returns the
/// exit code of the error's kind.
int report(const std::string& program, const core::Error& error);

/// The closest candidate within a small edit distance, or "" (for "did you mean").
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// Turns a Result into its value, or throws its error for run() to report.
template <class T>
T expect(core::Result<T> r) {
  return std::move(r).take();
}
inline void expect(const core::Status& s) { core::check(s); }

}  // namespace iotfleet::cli

namespace iotfleet::cli {

/// Progress of long bulk work on stderr ("creating devices: 4000/10000"), only on a terminal.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  void update(std::size_t done, std::size_t total);

 private:
  std::string label_;
  bool active_;
  bool printed_ = false;
};

/// Prints JSON to stdout, indented by two spaces, with a final newline.
void print_json(const nlohmann::ordered_json& value);

}  // namespace iotfleet::cli
