#include "cli/app.hpp"

#include <algorithm>
#include <iostream>

#include "core/log.hpp"

namespace iotfleet::cli {

CLI::Option* add_output_option(CLI::App& app, OutputFormat& out) {
  return app
      .add_option_function<std::string>(
          "--output,-o", [&out](const std::string& v) { out = v == "json" ? OutputFormat::json : OutputFormat::table; },
          "Output format: table (for people) or json (for scripts)")
      ->check(CLI::IsMember({"table", "json"}))
      ->default_str("table");
}

int report(const std::string& program, const core::Error& error) {
  std::cerr << program << ": error: " << error.message << "\n";
  if (!error.hint.empty()) std::cerr << "  hint: " << error.hint << "\n";
  return core::exit_code(error.kind);
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The deepest subcommand the user reached, to point "see '... --help'" at the right place.
CLI::App* deepest(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands())
    if (sub->parsed()) return deepest(sub);
  return app;
}

std::string command_path(CLI::App* app) {
  std::string path = app->get_name();
  for (CLI::App* p = app->get_parent(); p; p = p->get_parent()) path = p->get_name() + " " + path;
  return path;
}

int usage_error(CLI::App& root, const std::string& message) {
  CLI::App* where = deepest(&root);
  std::cerr << root.get_name() << ": " << message << "\n"
            << "see '" << command_path(where) << " --help'\n";
  return 2;
}


}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

namespace {

// An unknown word where a subcommand was expected: suggest the closest one.
std::string unknown_command_message(CLI::App& root, const std::string& fallback) {
  CLI::App* where = deepest(&root);
  const auto extras = where->remaining();
  std::vector<std::string> names;
  for (const CLI::App* sub : where->get_subcommands({})) names.push_back(sub->get_name());
  if (extras.empty() || names.empty() || extras.front().starts_with("-")) return fallback;
  std::string message = "unknown command '" + extras.front() + "'";
  const std::string guess = closest_match(extras.front(), names);
  if (!guess.empty()) message += ", did you mean '" + guess + "'?";
  return message;
}

}  // namespace

int run(CLI::App& app, int argc, char** argv) {
  core::log::init(app.get_name());
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ExtrasError& e) {
    return usage_error(app, unknown_command_message(app, e.what()));
  } catch (const CLI::RequiredError& e) {
    // A mistyped subcommand surfaces as "a subcommand is required": say what was not understood.
    return usage_error(app, unknown_command_message(app, e.what()));
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  } catch (const core::Failure& f) {
    return report(app.get_name(), f.error());
  } catch (const std::exception& e) {
    return report(app.get_name(), core::Error::failure(std::string("unexpected error: ") + e.what()));
  }
}

}  // namespace iotfleet::cli

#include <unistd.h>

namespace iotfleet::cli {

Progress::Progress(std::string label) : label_(std::move(label)), active_(::isatty(STDERR_FILENO)) {}

Progress::~Progress() {
  if (printed_) std::cerr << "\n";
}

void Progress::update(std::size_t done, std::size_t total) {
  if (!active_) return;
  std::cerr << "\r" << label_ << ": " << done << "/" << total << std::flush;
  printed_ = true;
}

void print_json(const nlohmann::ordered_json& value) { std::cout << value.dump(2) << "\n"; }

}  // namespace iotfleet::cli
