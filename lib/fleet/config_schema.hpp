#pragma once
// Device configs are validated against their model's JSON Schema (draft 4/6/7 via valijson).
// Every problem is reported at once, each naming the field it is about (STYLE.md §9).

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"

namespace iotfleet::fleet {

/// Fails when the document is not a JSON Schema valijson can use (the message says why).
core::Status check_schema(const nlohmann::json& schema);

/// Fails with one line per violation: "config.interval: value 5 is below the minimum 10"...
core::Status validate_config(const nlohmann::json& schema, const nlohmann::json& config);

/// Parses JSON text; the error names the source ("--config-schema schema.json") and the position.
core::Result<nlohmann::json> parse_json(const std::string& text, const std::string& source);

}  // namespace iotfleet::fleet
