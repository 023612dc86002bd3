#pragma once
// JSON values written as YAML through yaml-cpp's emitter, the way Kubernetes' YAML printer
// (sigs.k8s.io/yaml) writes them: block style, keys in the order given (sorted when the value is
// a plain nlohmann::json), and strings quoted whenever a YAML 1.1 reader would otherwise take
// them for a boolean, null or number ("true", "yes", "123", "0x1F", "~", "").

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace iotfleet::seal {

/// True when a plain scalar with this text would not read back as the same string.
bool needs_quotes(std::string_view s);

std::string to_yaml(const nlohmann::json& value);
std::string to_yaml(const nlohmann::ordered_json& value);

}  // namespace iotfleet::seal
