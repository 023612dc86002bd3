#include "fleet/config_schema.hpp"

#include <gtest/gtest.h>

namespace iotfleet::fleet {
namespace {

const auto kSchema = nlohmann::json::parse(R"({
  "type": "object", "required": ["interval_s"], "additionalProperties": false,
  "properties": {
    "interval_s": {"type": "integer", "minimum": 10},
    "unit": {"enum": ["C", "F"]},
    "sensors": {"type": "array", "items": {"type": "object", "properties": {"pin": {"type": "integer", "maximum": 39}}}}
  }})");

TEST(ConfigSchema, AcceptsAValidConfig) {
  EXPECT_TRUE(validate_config(kSchema, {{"interval_s", 60}, {"unit", "C"}}).ok());
}

TEST(ConfigSchema, NamesEveryFailingField) {
  const auto r = validate_config(kSchema, {{"interval_s", 5}, {"unit", "K"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("config.interval_s"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("config.unit"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("2 places"), std::string::npos) << r.error().message;
}

TEST(ConfigSchema, NamesNestedArrayFields) {
  const auto r = validate_config(kSchema, nlohmann::json::parse(R"({"interval_s": 60, "sensors": [{"pin": 4}, {"pin": 40}]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("config.sensors[1].pin"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("sensors[0]"), std::string::npos) << r.error().message;
}

TEST(ConfigSchema, MissingRequiredAndUnknownFields) {
  const auto missing = validate_config(kSchema, nlohmann::json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("interval_s"), std::string::npos) << missing.error().message;
  const auto extra = validate_config(kSchema, {{"interval_s", 60}, {"colour", "red"}});
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.error().message.find("colour"), std::string::npos) << extra.error().message;
}

TEST(ConfigSchema, RejectsDocumentsThatAreNotSchemas) {
  EXPECT_FALSE(check_schema(nlohmann::json::array()).ok());
  EXPECT_FALSE(check_schema(nlohmann::json::parse(R"({"type": 12})")).ok());
  EXPECT_TRUE(check_schema(kSchema).ok());
}

TEST(ConfigSchema, ParseJsonNamesSourceAndPosition) {
  const auto r = parse_json("{\"a\": }", "--config c.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--config c.json is not valid JSON (at byte"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace iotfleet::fleet
