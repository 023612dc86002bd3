#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/encoding.hpp"
#include "idp/local.hpp"
#include "provision/nvs.hpp"
#include "provision/package.hpp"
#include "integration/provision/provision_fixture.hpp"

namespace iotfleet::test_support {
namespace {

using Package = ProvisionTest;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

unsigned mode_of(const std::string& path) {
  struct stat st{};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST_F(Package, JsonHasEveryFieldAndAWorkingSecret) {
  create_model("env_sensor");
  const auto key = create_devices("env_sensor")[0];
  const auto r = provision({"package", key, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto p = nlohmann::ordered_json::parse(r.out);
  std::vector<std::string> names;
  for (auto it = p.begin(); it != p.end(); ++it) names.push_back(it.key());
  EXPECT_EQ(names, (std::vector<std::string>{"device_key", "client_id", "client_secret", "token_url", "base_url",
                                             "mqtt_url", "wifi_ssid", "wifi_password"}));
  EXPECT_EQ(p["device_key"], key);
  EXPECT_EQ(p["client_id"], "iotdevice-env_sensor-" + key);
  EXPECT_EQ(p["base_url"], "https://iot.example.org");
  EXPECT_EQ(p["mqtt_url"], "mqtts://mqtt.example.org:8883");
  EXPECT_EQ(p["wifi_ssid"], "field net");
  EXPECT_EQ(p["wifi_password"], "Tr0ub4dor,&3 horse");

  // The secret is 256 bits and verifies against the HMAC the database keeps.
  const std::string secret = p["client_secret"];
  ASSERT_EQ(core::base64url_decode(secret)->size(), 32u);
  const auto stored = *core::hex_decode(db.scalar("SELECT encode(secret_hmac, 'hex') FROM devices"));
  const auto pepper = idp::Pepper::parse(env["IOT_SECRET_PEPPER"]).take();
  EXPECT_TRUE(idp::verify_local_secret(pepper, key, secret, stored));
  EXPECT_FALSE(idp::verify_local_secret(pepper, key, secret + "x", stored));
  EXPECT_FALSE(idp::verify_local_secret(pepper, "aaaaaaaa", secret, stored));

  // The same package twice: the same secret (a download never regenerates it).
  EXPECT_EQ(nlohmann::json::parse(provision({"package", key}).out)["client_secret"], secret);
  EXPECT_GE(std::stoi(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'device.package'")), 2);
  EXPECT_EQ(r.err.find(secret), std::string::npos) << "secret in the log";
}

TEST_F(Package, NvsImageIsTheGeneratorsLayoutAndWrittenPrivate) {
  create_model("m");
  const auto key = create_devices("m")[0];
  const std::string path = (dir.path() / "prov.bin").string();
  const auto r = provision({"package", key, "--format", "nvs", "--partition-size", "0x3000", "-o", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(mode_of(path), 0600u);
  const std::string image = read_all(path);
  ASSERT_EQ(image.size(), 0x3000u);

  // Rebuild the expected image from the JSON package with the NVS writer (tested byte for byte
  // against Espressif's generator in the unit tests).
  const auto json = nlohmann::json::parse(provision({"package", key}).out);
  provision::Package p{json["device_key"], json["client_id"], json["client_secret"], json["token_url"],
                       json["base_url"],   json["mqtt_url"],  json["wifi_ssid"],     json["wifi_password"]};
  const auto expected = provision::to_nvs(p, 0x3000).take();
  EXPECT_EQ(image, std::string(expected.begin(), expected.end()));
  EXPECT_NE(image.find("prov"), std::string::npos);
  EXPECT_NE(image.find(std::string(json["client_secret"])), std::string::npos);
}

TEST_F(Package, HeaderDefinesEveryField) {
  create_model("m");
  const auto key = create_devices("m")[0];
  const std::string path = (dir.path() / "prov.h").string();
  ASSERT_EQ(provision({"package", key, "--format", "header", "-o", path}).exit_code, 0);
  EXPECT_EQ(mode_of(path), 0600u);
  const std::string header = read_all(path);
  EXPECT_NE(header.find("#define IOT_PROV_DEVICE_KEY \"" + key + "\""), std::string::npos) << header;
  EXPECT_NE(header.find("#define IOT_PROV_WIFI_PASSWORD \"Tr0ub4dor,&3 horse\""), std::string::npos) << header;
  for (const char* macro : {"CLIENT_ID", "CLIENT_SECRET", "TOKEN_URL", "BASE_URL", "MQTT_URL", "WIFI_SSID"})
    EXPECT_NE(header.find(std::string("#define IOT_PROV_") + macro + " "), std::string::npos) << macro;
}

TEST_F(Package, BadInputWritesNothing) {
  create_model("m");
  const auto key = create_devices("m")[0];
  const std::string path = (dir.path() / "out.bin").string();
  for (const std::string size : {"0x2000", "0x3100", "0", "zzz", "12288x"}) {
    const auto r = provision({"package", key, "--format", "nvs", "--partition-size", size, "-o", path});
    EXPECT_EQ(r.exit_code, 2) << size << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(path)) << size;
  }
  env.erase("DEVICE_BASE_URL");
  const auto missing = provision({"package", key, "-o", path});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("give --base-url or set DEVICE_BASE_URL"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(path));

  const auto with_flag = provision({"package", key, "--base-url", "https://flag.example.org"});
  EXPECT_EQ(nlohmann::json::parse(with_flag.out)["base_url"], "https://flag.example.org");

  const auto unknown = provision({"package", "zzzzzzzz", "--base-url", "https://x.example.org", "-o", path});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(Package, AnotherSecretKeyCannotOpenTheSecret) {
  create_model("m");
  const auto key = create_devices("m")[0];
  env["IOT_SECRET_KEY"] = core::SecretBox::generate_keyring_entry("k1");
  const auto r = provision({"package", key});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("integrity"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(Package, KeyRotationKeepsOldSecretsReadable) {
  create_model("m");
  const auto key = create_devices("m")[0];
  const auto before = nlohmann::json::parse(provision({"package", key}).out)["client_secret"];
  env["IOT_SECRET_KEY"] = core::SecretBox::generate_keyring_entry("k2") + "," + env["IOT_SECRET_KEY"];
  const auto after = provision({"package", key});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(nlohmann::json::parse(after.out)["client_secret"], before);
}

}  // namespace
}  // namespace iotfleet::test_support
