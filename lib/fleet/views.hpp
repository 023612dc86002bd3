#pragma once
// How models and devices look in --output json (stable names for scripts) and in tables.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/devices.hpp"
#include "store/models.hpp"

namespace iotfleet::fleet {

nlohmann::ordered_json to_json(const store::DeviceModel& m);
nlohmann::ordered_json to_json(const store::Device& d);

std::vector<std::string> model_table_headers();
std::vector<std::string> model_table_row(const store::DeviceModel& m);
std::vector<std::string> device_table_headers();
std::vector<std::string> device_table_row(const store::Device& d);
/// "key: value" pairs for show commands.
std::vector<std::pair<std::string, std::string>> device_fields(const store::Device& d);
std::vector<std::pair<std::string, std::string>> model_fields(const store::DeviceModel& m);

}  // namespace iotfleet::fleet
