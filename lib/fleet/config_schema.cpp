#include "fleet/config_schema.hpp"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <set>

namespace iotfleet::fleet {
namespace {

core::Result<std::unique_ptr<valijson::Schema>> load(const nlohmann::json& schema) {
  if (!schema.is_object()) return core::Error::failure("a config schema must be a JSON object");
  auto parsed = std::make_unique<valijson::Schema>();
  try {
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, *parsed);
  } catch (const std::exception& e) {
    return core::Error::failure(std::string("invalid JSON Schema: ") + e.what());
  }
  return parsed;
}

// valijson's context is a path like ["<root>", "[sensors]", "[0]"]: render it as config.sensors[0].
std::string field_path(const std::vector<std::string>& context) {
  std::string path = "config";
  for (const std::string& part : context) {
    if (part == "<root>") continue;
    std::string inner = part;
    if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') inner = inner.substr(1, inner.size() - 2);
    const bool index = !inner.empty() && inner.find_first_not_of("0123456789") == std::string::npos;
    if (index) path += "[" + inner + "]";
    else path += "." + (inner.size() >= 2 && inner.front() == '"' ? inner.substr(1, inner.size() - 2) : inner);
  }
  return path;
}

}  // namespace

core::Status check_schema(const nlohmann::json& schema) {
  auto loaded = load(schema);
  if (!loaded) return loaded.error();
  return core::ok_status();
}

core::Status validate_config(const nlohmann::json& schema, const nlohmann::json& config) {
  auto loaded = load(schema);
  if (!loaded) return loaded.error();
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(config);
  if (validator.validate(**loaded, target, &results)) return core::ok_status();

  // valijson reports a failing leaf and then each enclosing level ("failed to validate against
  // schema associated with property ..."); keep the most specific error per field.
  std::vector<std::pair<std::string, std::string>> errors;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) errors.emplace_back(field_path(error.context), error.description);
  std::set<std::string> reported;
  std::string message;
  std::size_t count = 0;
  for (const auto& [path, description] : errors) {
    bool has_deeper = false;
    for (const auto& other : errors)
      if (other.first.size() > path.size() && other.first.starts_with(path)) has_deeper = true;
    if (has_deeper || !reported.insert(path + description).second) continue;
    message += (count++ ? "\n  " : "") + path + ": " + description;
  }
  if (count > 1) message = "the config fails its model's schema in " + std::to_string(count) + " places:\n  " + message;
  else message = "the config fails its model's schema: " + message;
  return core::Error::failure(message);
}

core::Result<nlohmann::json> parse_json(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return core::Error::failure(source + " is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
}

}  // namespace iotfleet::fleet
