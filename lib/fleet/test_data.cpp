#include "fleet/test_data.hpp"

namespace iotfleet::fleet {
namespace {

struct ModelSeed {
  const char* code;
  const char* name;
  const char* schema;  // nullptr: no schema
  const char* config;
  const char* device_name;
  std::size_t devices;
};

const ModelSeed kSeeds[] = {
    {"env_sensor", "Environment sensor (temperature, humidity, CO2)",
     R"({"type":"object","required":["interval_s"],"properties":{
          "interval_s":{"type":"integer","minimum":10,"maximum":86400},
          "unit":{"enum":["C","F"]},
          "co2_alarm_ppm":{"type":"integer","minimum":400}},"additionalProperties":false})",
     R"({"interval_s":300,"unit":"C","co2_alarm_ppm":1200})", "env", 12},
    {"door_lock", "Door lock controller",
     R"({"type":"object","required":["auto_lock_s"],"properties":{
          "auto_lock_s":{"type":"integer","minimum":0,"maximum":3600},
          "buzzer":{"type":"boolean"}}})",
     R"({"auto_lock_s":30,"buzzer":true})", "door", 5},
    {"water_meter", "Water meter pulse counter", nullptr, R"({"pulses_per_litre":1})", "meter", 8},
};

}  // namespace

core::Result<TestDataReport> load_test_data(Session& s, const LocalSecrets& secrets) {
  return core::capture([&] {
    TestDataReport report;
    for (const ModelSeed& seed : kSeeds) {
      auto existing = show_model(s, seed.code);
      if (!existing && existing.error().kind != core::ErrorKind::not_found) throw core::Failure(existing.error());
      std::int64_t have = existing ? existing->device_count : 0;
      if (!existing) {
        std::optional<nlohmann::json> schema;
        if (seed.schema) schema = nlohmann::json::parse(seed.schema);
        create_model(s, seed.code, seed.name, schema).take();
        report.models_created.emplace_back(seed.code);
      }
      if (have >= static_cast<std::int64_t>(seed.devices)) continue;
      DeviceSpec spec;
      spec.model_code = seed.code;
      spec.config = nlohmann::json::parse(seed.config);
      spec.name = seed.device_name;
      spec.count = seed.devices - static_cast<std::size_t>(have);
      for (auto& d : create_devices(s, spec, secrets).take()) report.devices_created.push_back(std::move(d));
    }
    return report;
  });
}

}  // namespace iotfleet::fleet
