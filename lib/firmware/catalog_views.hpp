#pragma once
// How firmware versions look in --output json and in tables.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "firmware/catalog.hpp"

namespace iotfleet::firmware {

nlohmann::ordered_json to_json(const store::FirmwareVersion& v);
nlohmann::ordered_json to_json(const VersionEntry& e);
nlohmann::ordered_json to_json(const UploadResult& r);
nlohmann::ordered_json to_json(const ServingChange& c);

/// One line for people: "uploaded env_sensor 1.2.0 (ESP32-C3, 812 KiB, sha256 3f2a…)".
std::string describe(const UploadResult& r);
std::string describe(const ServingChange& c);

std::vector<std::string> version_table_headers();
std::vector<std::string> version_table_row(const VersionEntry& e);
std::vector<std::pair<std::string, std::string>> version_fields(const VersionEntry& e);

}  // namespace iotfleet::firmware
