// `iot-provision device create --identity cert`: each device gets a key and a certificate from the
// install's device CA; the database keeps the certificate, never the key, and the package (JSON,
// NVS image) carries key + certificate + CA. The certificate works on a real Mosquitto TLS
// listener that takes the certificate's CN as the user name.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "../mqtt/broker.hpp"
#include "cert_fixture.hpp"
#include "core/files.hpp"
#include "integration/provision/provision_fixture.hpp"
#include "mosquitto.hpp"
#include "mqtt/publisher.hpp"

namespace iotfleet::test_support {
namespace {

using namespace std::chrono_literals;

class CertDevices : public ProvisionTest {
 protected:
  CertDevices() {
    env["IOT_CA_PASSPHRASE"] = kTestCaPassphrase;
    RunOptions options;
    options.cwd = dir.path().string();
    const auto init = tool("iot-cert", {"ca", "init", "--out", "ca"}, options);
    EXPECT_EQ(init.exit_code, 0) << init.err;
    create_model("sensor");
  }
  RunResult create(std::vector<std::string> extra) {
    std::vector<std::string> args = {"device", "create", "--model", "sensor", "--identity", "cert",
                                     "--ca", path("ca"), "--out", path("out"), "--output", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return provision(args);
  }
  std::string path(const std::string& name) const { return (dir.path() / name).string(); }
  std::string slurp(const std::string& file) const {
    return core::read_file(file, 1 << 20).take();
  }
};

TEST_F(CertDevices, PackagesCarryKeyCertificateAndCaAndTheDatabaseOnlyTheCertificate) {
  const auto r = create({"--count", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto created = nlohmann::json::parse(r.out);
  ASSERT_EQ(created.size(), 2u);
  for (const auto& d : created) {
    const std::string key = d["key"], file = d["package"];
    SCOPED_TRACE(key);
    EXPECT_EQ(file, path("out/" + key + ".json"));
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const auto package = nlohmann::json::parse(slurp(file));
    EXPECT_EQ(package["device_key"], key);
    EXPECT_EQ(package["client_secret"], "");
    EXPECT_EQ(package["base_url"], "https://iot.example.org");
    EXPECT_NE(package["client_key"].get<std::string>().find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(package["ca_cert"], slurp(path("ca/ca.crt")));
    const std::string cert = package["client_cert"];
    std::ofstream(path(key + ".crt")) << cert;
    std::ofstream(path(key + ".key")) << package["client_key"].get<std::string>();

    // openssl agrees: signed by the CA, for client authentication, CN = the device key.
    const auto verify = run("/usr/bin/openssl", {"verify", "-purpose", "sslclient", "-CAfile",
                                                 path("ca/ca.crt"), path(key + ".crt")});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    const auto subject =
        run("/usr/bin/openssl", {"x509", "-noout", "-subject", "-serial", "-in", path(key + ".crt")});
    EXPECT_NE(subject.out.find("CN = " + key), std::string::npos) << subject.out;
    std::string serial = d["certificate_serial"];
    std::string upper;
    for (char c : serial) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_NE(subject.out.find(upper), std::string::npos) << subject.out << " vs " << serial;

    EXPECT_EQ(db.scalar("SELECT certificate FROM devices WHERE key = '" + key + "'"), cert);
    EXPECT_EQ(db.scalar("SELECT certificate_serial FROM devices WHERE key = '" + key + "'"), serial);
    const auto shown = provision_json({"device", "show", key});
    EXPECT_EQ(shown["certificate"]["serial"], serial);
  }
  // The keys exist only in the packages.
  EXPECT_EQ(count("SELECT count(*) FROM devices d WHERE d::text LIKE '%PRIVATE KEY%'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM devices WHERE secret_sealed IS NOT NULL"), 0);
  // And the CA's index lists them.
  RunOptions options;
  options.cwd = dir.path().string();
  const auto list = tool("iot-cert", {"list", "--ca", "ca", "--output", "json"}, options);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 2u);

  // A second package cannot be made: the key is gone. The hint names the way out.
  const auto again = provision({"package", created[0]["key"]});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("iot-cert issue device"), std::string::npos) << again.err;

  // The certificate from the package opens a TLS MQTT session as its device.
  RunOptions in_dir;
  in_dir.cwd = dir.path().string();
  ASSERT_EQ(tool("iot-cert", {"issue", "server", "--ca", "ca", "--cn", "localhost", "--out", "broker"},
                 in_dir)
                .exit_code,
            0);
  const auto port = unused_port();
  Mosquitto broker(dir.path() / "broker",
                   "listener " + std::to_string(port) + " 127.0.0.1\nallow_anonymous false\n" +
                       "cafile " + path("broker/ca.crt") + "\ncertfile " +
                       path("broker/server.crt") + "\nkeyfile " + path("broker/server.key") +
                       "\nrequire_certificate true\nuse_identity_as_username true\n",
                   {port});
  const std::string key = created[0]["key"];
  auto session = mqtt::Publisher::connect(
      mqtt_settings({{"MQTT_URL", "mqtts://localhost:" + std::to_string(port)},
                     {"MQTT_CA_FILE", path("ca/ca.crt")},
                     {"MQTT_CLIENT_CERT", path(key + ".crt")},
                     {"MQTT_CLIENT_KEY", path(key + ".key")},
                     {"MQTT_CLIENT_ID", key}}),
      5s);
  ASSERT_TRUE(session.ok()) << session.error().message << "\n" << broker.log();
  EXPECT_NE(broker.log().find("u'" + key + "'"), std::string::npos) << broker.log();
}

TEST_F(CertDevices, DeletingADeviceRevokesItsCertificate) {
  const auto r = create({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string key = nlohmann::json::parse(r.out)[0]["key"];
  const std::string serial = nlohmann::json::parse(r.out)[0]["certificate_serial"];
  const auto deleted = provision_json({"device", "delete", key, "--ca", path("ca")});
  EXPECT_EQ(deleted["certificates_revoked"], nlohmann::json::array({serial}));
  RunOptions options;
  options.cwd = dir.path().string();
  const auto list =
      tool("iot-cert", {"list", "--ca", "ca", "--include-revoked", "--output", "json"}, options);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto entries = nlohmann::json::parse(list.out);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["status"], "revoked") << list.out;

  // Without --ca the device is deleted all the same, and the warning says what is left to do.
  const auto second = create({});
  const std::string other = nlohmann::json::parse(second.out)[0]["key"];
  const auto warned = provision({"device", "delete", other});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("iot-cert revoke " + other), std::string::npos) << warned.err;
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
}

TEST_F(CertDevices, TheNvsImageHoldsTheCertificate) {
  const auto r = create({"--format", "nvs", "--partition-size", "0x6000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto d = nlohmann::json::parse(r.out)[0];
  const std::string file = d["package"];
  EXPECT_EQ(file, path("out/" + std::string(d["key"]) + ".nvs.bin"));
  const auto image = slurp(file);
  EXPECT_EQ(image.size(), 0x6000u);
  // NVS keeps a string's bytes contiguous across its entries.
  const auto cert = db.scalar("SELECT certificate FROM devices");
  EXPECT_NE(image.find(cert), std::string::npos);
  EXPECT_NE(image.find("client_cert"), std::string::npos);
}

TEST_F(CertDevices, MistakesAreRefusedBeforeAnythingChanges) {
  RunOptions wrong;
  wrong.env = {{"IOT_CA_PASSPHRASE", "not the passphrase at all"}};
  std::vector<std::string> args = {"device", "create", "--model", "sensor", "--identity", "cert",
                                   "--ca", path("ca"), "--out", path("out")};
  const auto bad_passphrase = provision(args, wrong);
  EXPECT_NE(bad_passphrase.exit_code, 0);
  const auto no_out = provision({"device", "create", "--model", "sensor", "--identity", "cert",
                                 "--ca", path("ca")});
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_NE(no_out.err.find("--out DIR"), std::string::npos) << no_out.err;
  const auto no_ca = provision({"device", "create", "--model", "sensor", "--identity", "cert",
                                "--ca", path("missing"), "--out", path("out")});
  EXPECT_NE(no_ca.exit_code, 0);
  const auto out_for_secret = provision({"device", "create", "--model", "sensor", "--out", path("out")});
  EXPECT_EQ(out_for_secret.exit_code, 2);
  EXPECT_EQ(count("SELECT count(*) FROM devices"), 0);
  RunOptions options;
  options.cwd = dir.path().string();
  const auto list = tool("iot-cert", {"list", "--ca", "ca", "--include-revoked", "--output", "json"}, options);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 0u);  // and nothing was issued
}

}  // namespace
}  // namespace iotfleet::test_support
