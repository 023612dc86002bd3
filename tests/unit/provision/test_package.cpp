#include "provision/package.hpp"

#include <gtest/gtest.h>

namespace iotfleet::provision {
namespace {

Package sample() {
  return {"k3x9a2b1", "iotdevice-env-k3x9a2b1", "c2VjcmV0", "https://kc.example.org/token",
          "https://iot.example.org", "mqtts://mqtt.example.org:8883", "my net", "pa\"ss\\word?"};
}

TEST(Package, JsonFieldsInSpecOrder) {
  const auto j = to_json(sample());
  std::vector<std::string> names;
  for (auto it = j.begin(); it != j.end(); ++it) names.push_back(it.key());
  EXPECT_EQ(names, (std::vector<std::string>{"device_key", "client_id", "client_secret", "token_url", "base_url",
                                             "mqtt_url", "wifi_ssid", "wifi_password"}));
  EXPECT_EQ(j["wifi_password"], "pa\"ss\\word?");
}

TEST(Package, CStringLiteralEscapesEverythingRisky) {
  EXPECT_EQ(c_string_literal("plain"), "\"plain\"");
  EXPECT_EQ(c_string_literal("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(c_string_literal("?\?="), "\"\\?\\?=\"");
  // Octal escapes are always three digits, so a following digit is not swallowed.
  EXPECT_EQ(c_string_literal(std::string("\n1", 2)), "\"\\0121\"");
  EXPECT_EQ(c_string_literal("\xc3\x86"), "\"\\303\\206\"");
}

TEST(Package, HeaderDefinesEachFieldOnce) {
  const std::string h = to_c_header(sample());
  EXPECT_NE(h.find("#define IOT_PROV_WIFI_PASSWORD \"pa\\\"ss\\\\word\\?\"\n"), std::string::npos) << h;
  for (const auto& [name, value] : fields(sample())) {
    std::string macro = "#define IOT_PROV_";
    for (char c : name) macro += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto first = h.find(macro + " ");
    ASSERT_NE(first, std::string::npos) << name;
    EXPECT_EQ(h.find(macro + " ", first + 1), std::string::npos) << name;
  }
  EXPECT_NE(h.find("#ifndef IOT_PROVISIONING_H"), std::string::npos);
  EXPECT_TRUE(h.ends_with("#endif /* IOT_PROVISIONING_H */\n"));
}

TEST(Package, NvsHoldsOneStringPerFieldInNamespaceProv) {
  const auto image = to_nvs(sample(), 0x3000).take();
  ASSERT_EQ(image.size(), 0x3000u);
  const std::string bytes(image.begin(), image.end());
  EXPECT_NE(bytes.find("prov"), std::string::npos);
  for (const auto& [name, value] : fields(sample())) {
    EXPECT_NE(bytes.find(name), std::string::npos) << name;
    EXPECT_NE(bytes.find(value), std::string::npos) << value;
  }
}

TEST(Package, NvsRefusesAValueTooLongForAPage) {
  auto p = sample();
  p.wifi_password = std::string(4000, 'x');
  auto r = to_nvs(p, 0x6000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("wifi_password"), std::string::npos) << r.error().message;
}

TEST(Package, PartitionSizes) {
  EXPECT_EQ(parse_partition_size("0x6000").value(), 0x6000u);
  EXPECT_EQ(parse_partition_size("0X3000").value(), 0x3000u);
  EXPECT_EQ(parse_partition_size("16384").value(), 0x4000u);
  for (const std::string bad : {"0x2000", "0x3100", "0", "", "0x", "zzz", "0x6000 ", "-0x6000", "12288x"}) {
    auto r = parse_partition_size(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, core::ErrorKind::usage);
    }
  }
}

}  // namespace
}  // namespace iotfleet::provision
