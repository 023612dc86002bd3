#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/digest.hpp"
#include "core/config.hpp"
#include "core/encoding.hpp"
#include "core/random.hpp"
#include "mqtt/settings.hpp"
#include "mqtt/subscriber.hpp"
#include "integration/provision/provision_fixture.hpp"
#include "test_support/esp_image.hpp"

namespace iotfleet::test_support {
namespace {

class Firmware : public ProvisionTest {
 protected:
  Firmware() { create_model("env_sensor"); }

  std::string image_file(const std::string& version, std::uint16_t chip = 5, std::uint8_t seed = 1) {
    return write_file("fw-" + version + "-" + std::to_string(chip) + "-" + std::to_string(seed) + ".bin",
                      make_esp_image({.chip_id = chip, .version = version, .payload_seed = seed}));
  }

  nlohmann::json upload(const std::string& version, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"upload", "--model", "env_sensor", image_file(version), "--output", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = firmware(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out.empty() ? "null" : r.out);
  }

  std::string serving() {
    const auto r = firmware({"list", "--model", "env_sensor", "--output", "json"});
    for (const auto& v : nlohmann::json::parse(r.out))
      if (v["serving"]) return v["version"];
    return "";
  }

  std::string zip(const std::string& name, const std::map<std::string, std::string>& files) {
    // Made with Python's zipfile: an independent writer for our libzip reader.
    std::string script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\n";
    std::vector<std::string> args = {"-c", "", (dir.path() / name).string()};
    int i = 0;
    for (const auto& [entry, path] : files) {
      script += "z.write(sys.argv[" + std::to_string(2 + i) + "], '" + entry + "')\n";
      args.push_back(path);
      ++i;
    }
    script += "z.close()\n";
    args[1] = script;
    const auto r = run("/usr/bin/python3", args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return (dir.path() / name).string();
  }
};

TEST_F(Firmware, UploadStoresVersionWithItsMetadata) {
  const auto v = upload("1.0.0", {"--notes", "first field release"});
  EXPECT_EQ(v["version"], "1.0.0");
  EXPECT_EQ(v["chip"], "ESP32-C3");
  EXPECT_EQ(v["project_name"], "test_app");
  EXPECT_EQ(v["idf_version"], "v5.2.1");
  EXPECT_EQ(v["notes"], "first field release");
  EXPECT_EQ(v["uploaded_by"], "integration-test");
  EXPECT_EQ(v["created"], true);
  const auto bytes = make_esp_image({.version = "1.0.0"});
  EXPECT_EQ(v["sha256"], core::hex_encode(core::sha256(core::as_bytes(bytes))));
  EXPECT_EQ(v["size"], bytes.size());
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'firmware.upload'"), 1);
}

TEST_F(Firmware, IdenticalBytesAreStoredOnceAndReuploadIsANoOp) {
  upload("1.0.0");
  const auto again = upload("1.0.0");
  EXPECT_EQ(again["created"], false);
  EXPECT_EQ(count("SELECT count(*) FROM firmware_versions"), 1);
  create_model("door_lock");
  const auto r = firmware({"upload", "--model", "door_lock", image_file("1.0.0")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM firmware_versions"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM firmware_images"), 1) << "content-addressed: one copy of the bytes";
}

TEST_F(Firmware, SameVersionWithDifferentBytesIsExit4) {
  upload("1.0.0");
  const auto r = firmware({"upload", "--model", "env_sensor", image_file("1.0.0", 5, 2)});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("already has version '1.0.0' with different bytes"), std::string::npos) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM firmware_images"), 1);
}

TEST_F(Firmware, ChipMismatchIsRefusedUnlessAllowed) {
  upload("1.0.0");
  const auto refused = firmware({"upload", "--model", "env_sensor", image_file("1.1.0", 9)});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_NE(refused.err.find("ESP32-S3"), std::string::npos) << refused.err;
  EXPECT_EQ(count("SELECT count(*) FROM firmware_versions"), 1);
  const auto allowed = firmware({"upload", "--model", "env_sensor", image_file("1.1.0", 9), "--allow-chip-mismatch"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
}

TEST_F(Firmware, EveryCorruptFixtureIsRefusedAndNothingIsStored) {
  for (const auto& entry : std::filesystem::directory_iterator(std::string(IOT_FIXTURES_DIR) + "/esp32")) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("corrupt-") || !name.ends_with(".bin")) continue;
    const auto r = firmware({"upload", "--model", "env_sensor", entry.path().string()});
    EXPECT_EQ(r.exit_code, 1) << name << ": " << r.err;
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
  }
  EXPECT_EQ(count("SELECT count(*) FROM firmware_images"), 0);
  EXPECT_EQ(firmware({"upload", "--model", "env_sensor", write_file("empty.bin", "")}).exit_code, 1);
  EXPECT_EQ(firmware({"upload", "--model", "env_sensor", "/no/such.bin"}).exit_code, 3);
  EXPECT_EQ(firmware({"upload", "--model", "ghost", image_file("1.0.0")}).exit_code, 3);
}

TEST_F(Firmware, RealFixturesUploadWithEsptoolsVersion) {
  const std::string fixture = std::string(IOT_FIXTURES_DIR) + "/esp32/hello_world-esp32c3.bin";
  const auto r = firmware({"upload", "--model", "env_sensor", fixture, "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream expected(std::string(IOT_FIXTURES_DIR) + "/esp32/hello_world-esp32c3.expected.json");
  const auto esptool = nlohmann::json::parse(expected);
  EXPECT_EQ(nlohmann::json::parse(r.out)["version"], esptool["app"]["version"]);
}

TEST_F(Firmware, NewestServesUntilPinnedAndRollbackPinsThePrevious) {
  upload("1.0.0");
  upload("1.1.0");
  upload("1.2.0");
  EXPECT_EQ(serving(), "1.2.0");

  auto r = firmware({"rollback", "--model", "env_sensor", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["serving"], "1.1.0");
  EXPECT_EQ(serving(), "1.1.0");
  ASSERT_EQ(firmware({"rollback", "--model", "env_sensor"}).exit_code, 0);
  EXPECT_EQ(serving(), "1.0.0");
  r = firmware({"rollback", "--model", "env_sensor"});
  EXPECT_EQ(r.exit_code, 4) << "nothing older than 1.0.0";
  EXPECT_EQ(serving(), "1.0.0");

  upload("1.3.0");
  EXPECT_EQ(serving(), "1.0.0") << "a pin holds across new uploads";
  ASSERT_EQ(firmware({"pin", "--model", "env_sensor", "--version", "1.2.0"}).exit_code, 0);
  EXPECT_EQ(serving(), "1.2.0");
  EXPECT_EQ(firmware({"pin", "--model", "env_sensor", "--version", "9.9.9"}).exit_code, 3);
  ASSERT_EQ(firmware({"unpin", "--model", "env_sensor"}).exit_code, 0);
  EXPECT_EQ(serving(), "1.3.0");
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action IN ('firmware.pin', 'firmware.unpin', 'firmware.rollback')"), 4);
}

TEST_F(Firmware, PinningAnotherModelsVersionIsImpossible) {
  upload("1.0.0");
  create_model("door_lock");
  EXPECT_EQ(firmware({"pin", "--model", "door_lock", "--version", "1.0.0"}).exit_code, 3);
  pqxx::work tx(db.conn());
  EXPECT_THROW(tx.exec0("UPDATE device_models SET pinned_firmware_id = (SELECT id FROM firmware_versions) "
                        "WHERE code = 'door_lock'"),
               pqxx::check_violation);
}

TEST_F(Firmware, PruneKeepsNewestAndPinnedAndFreesBlobs) {
  for (const char* v : {"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"}) upload(v);
  ASSERT_EQ(firmware({"pin", "--model", "env_sensor", "--version", "1.0.0"}).exit_code, 0);
  const auto r = firmware({"prune", "--model", "env_sensor", "--keep", "2", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["removed"], nlohmann::json::array({"1.2.0", "1.1.0"}));
  EXPECT_EQ(report["blobs_freed"], 2);
  EXPECT_EQ(db.scalar("SELECT string_agg(version, ',' ORDER BY id) FROM firmware_versions"), "1.0.0,1.3.0,1.4.0");
  EXPECT_EQ(count("SELECT count(*) FROM firmware_images"), 3);
  EXPECT_EQ(serving(), "1.0.0");

  const auto keep_one = firmware({"prune", "--model", "env_sensor", "--keep", "1", "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(keep_one.out)["removed"], nlohmann::json::array({"1.3.0"}));
  EXPECT_EQ(firmware({"prune", "--model", "env_sensor", "--keep", "0"}).exit_code, 2);
}

TEST_F(Firmware, DownloadGivesTheExactBytes) {
  upload("1.0.0");
  upload("1.1.0");
  const std::string out = (dir.path() / "dl.bin").string();
  ASSERT_EQ(firmware({"download", "--model", "env_sensor", "-o", out}).exit_code, 0);
  std::ifstream in(out, std::ios::binary);
  const std::string got{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  EXPECT_EQ(got, make_esp_image({.version = "1.1.0"}));
  ASSERT_EQ(firmware({"download", "--model", "env_sensor", "--version", "1.0.0", "-o", out}).exit_code, 0);
  std::ifstream in2(out, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in2), std::istreambuf_iterator<char>()),
            make_esp_image({.version = "1.0.0"}));
  EXPECT_EQ(firmware({"download", "--model", "env_sensor", "--version", "7", "-o", out}).exit_code, 3);
}

TEST_F(Firmware, DamagedStoredBytesAreDetectedOnDownload) {
  upload("1.0.0");
  {
    pqxx::work tx(db.conn());
    tx.exec0("UPDATE firmware_images SET data = overlay(data placing '\\x5a'::bytea from 100)");
    tx.commit();
  }
  const auto r = firmware({"download", "--model", "env_sensor", "-o", (dir.path() / "x.bin").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not match its SHA-256"), std::string::npos) << r.err;
}

TEST_F(Firmware, ZipBundleKeepsItsExtras) {
  const auto bin = image_file("2.0.0");
  const auto elf = write_file("env_sensor.elf", std::string(1000, 'E'));
  const auto sdk = write_file("sdkconfig", "CONFIG_IDF_TARGET=\"esp32c3\"\n");
  const auto ver = write_file("version.json", R"({"version": "2.0.0"})");
  const auto bundle = zip("bundle.zip", {{"env_sensor.bin", bin}, {"env_sensor.elf", elf},
                                         {"sdkconfig", sdk}, {"version.json", ver}});
  const auto r = firmware({"upload", "--model", "env_sensor", bundle, "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto v = nlohmann::json::parse(r.out);
  EXPECT_EQ(v["version"], "2.0.0");
  ASSERT_EQ(v["extras"].size(), 3u);
  EXPECT_EQ(v["extras"][0]["name"], "env_sensor.elf");
  EXPECT_EQ(v["extras"][0]["size"], 1000);
  const auto shown = firmware({"show", "--model", "env_sensor", "--version", "2.0.0", "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(shown.out)["extras"].size(), 3u);
}

TEST_F(Firmware, BadBundlesAreRefused) {
  const auto bin = image_file("2.0.0");
  const auto wrong_version = write_file("version.json", R"({"version": "3.0.0"})");
  auto r = firmware({"upload", "--model", "env_sensor", zip("a.zip", {{"env_sensor.bin", bin}, {"version.json", wrong_version}})});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("version.json says '3.0.0'"), std::string::npos) << r.err;
  r = firmware({"upload", "--model", "env_sensor", zip("b.zip", {{"a.bin", bin}, {"b.bin", bin}})});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("several images"), std::string::npos) << r.err;
  r = firmware({"upload", "--model", "env_sensor", zip("c.zip", {{"notes.txt", wrong_version}})});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no .bin image"), std::string::npos) << r.err;
  r = firmware({"upload", "--model", "env_sensor", write_file("d.zip", std::string("PK\x03\x04garbage", 11))});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count("SELECT count(*) FROM firmware_versions"), 0);
}

TEST_F(Firmware, ChangesAreAnnouncedOnTheModelTopicRetained) {
  const char* broker = std::getenv("MQTT_URL");
  ASSERT_TRUE(broker && *broker) << "MQTT_URL is not set: run through scripts/test.sh (real Mosquitto)";
  env["MQTT_URL"] = broker;
  // A model code of its own: the broker is shared by tests running in parallel.
  const std::string model = "notice_" + core::random_string(8, "abcdefghijklmnopqrstuvwxyz");
  create_model(model);
  for (const char* v : {"1.0.0", "1.1.0"}) {
    const auto r = firmware({"upload", "--model", model, image_file(v)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("not notified"), std::string::npos) << r.err;
  }
  ASSERT_EQ(firmware({"rollback", "--model", model}).exit_code, 0);

  // A device subscribing afterwards still learns the version its model gets now.
  auto settings = mqtt::load_settings(core::Config()).take();
  settings.client_id = "test-sub-" + model;
  auto sub = mqtt::Subscriber::connect(settings, std::chrono::seconds(5)).take();
  core::check(sub->subscribe("iotsupport/models/" + model + "/firmware"));
  const auto message = sub->next(std::chrono::seconds(5)).take();
  ASSERT_TRUE(message.has_value());
  EXPECT_TRUE(message->retained);
  const auto notice = nlohmann::json::parse(message->payload);
  EXPECT_EQ(notice["kind"], "firmware");
  EXPECT_EQ(notice["model"], model);
  EXPECT_EQ(notice["version"], "1.0.0");
  EXPECT_EQ(notice["sha256"].get<std::string>().size(), 64u);
}

TEST_F(Firmware, AnUnreachableBrokerIsAWarningAndTheChangeStands) {
  env["MQTT_URL"] = "mqtt://127.0.0.1:1";
  const auto r = firmware({"upload", "--model", "env_sensor", image_file("1.0.0")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("devices were not notified"), std::string::npos) << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM firmware_versions"), 1);
  env["MQTT_URL"] = "http://wrong";
  const auto bad = firmware({"pin", "--model", "env_sensor", "--version", "1.0.0"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

TEST_F(Firmware, ListAndShowForPeople) {
  upload("1.0.0");
  const auto list = firmware({"list", "--model", "env_sensor"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("VERSION"), std::string::npos);
  EXPECT_NE(list.out.find("serving"), std::string::npos);
  const auto show = firmware({"show", "--model", "env_sensor", "--version", "1.0.0"});
  EXPECT_EQ(show.exit_code, 0);
  EXPECT_NE(show.out.find("ESP32-C3"), std::string::npos);
  EXPECT_EQ(firmware({"list", "--model", "ghost"}).exit_code, 3);
}

}  // namespace
}  // namespace iotfleet::test_support
