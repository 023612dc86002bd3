// A certificate device's rotation end to end: `iot-rotate trigger` and `iot-rotate run` (the
// CronJob's command, holding the CA) start it; iot-serve over mutual TLS hands out the new key and
// certificate, completes the rotation when the device connects with the new certificate, and from
// then on refuses the old one, which the CA's database index lists as revoked.
#include <fstream>

#include "fleet/device_ca.hpp"
#include "fleet/devices.hpp"
#include "integration/http/serve_fixture.hpp"
#include "pki/verify.hpp"
#include "support/keycloak_standin.hpp"
#include "test_support/process.hpp"

namespace iotfleet::test_support {
namespace {

const char* kPassphrase = "a long enough CA passphrase";

class ServeCertRotation : public ServeTest {
 protected:
  void SetUp() override {
    const std::string d = dir.path().string();
    ca_dir = d + "/ca";
    pki::Authority::init(ca_dir, {}, kPassphrase, std::chrono::system_clock::now()).take();
    const std::string url = db.url();
    ca.emplace(fleet::open_device_ca(
                   core::Config([url](const std::string& name) -> std::optional<std::string> {
                     if (name == "DATABASE_URL") return url;
                     return std::nullopt;
                   }),
                   ca_dir, std::string("database"))
                   .take());
    ca->unlock(kPassphrase).take();

    fleet::DeviceSpec spec;
    spec.model_code = "env_sensor";
    spec.identity = "cert";
    fleet::IdentitySources ids{box};
    ids.ca = &*ca;
    const auto created = fleet::create_devices(session, spec, ids).take().at(0);
    key = created.key;
    save("old", created.certificate->key_pem, created.certificate->certificate_pem);
    old_serial = created.certificate->serial;

    const auto [cert, tls_key] = make_tls_certificate(d);
    server_cert = cert;
    scheme = "https";
    start({{"IOT_SERVE_AUTH", "cert"},
           {"IOT_SERVE_TLS_CERT", cert},
           {"IOT_SERVE_TLS_KEY", tls_key},
           {"IOT_SERVE_CLIENT_CA", ca_dir + "/ca.crt"},
           {"IOT_SERVE_DEVICE_CA_CERT", ca_dir + "/ca.crt"}});
  }

  void save(const std::string& name, const std::string& key_pem, const std::string& cert_pem) {
    std::ofstream(dir.path() / (name + ".key")) << key_pem;
    std::ofstream(dir.path() / (name + ".crt")) << cert_pem;
  }
  HttpOptions with(const std::string& name) const {
    HttpOptions o;
    o.ca_file = server_cert;
    o.client_cert = (dir.path() / (name + ".crt")).string();
    o.client_key = (dir.path() / (name + ".key")).string();
    return o;
  }
  RunResult rotate(const std::vector<std::string>& args,
                   std::map<std::string, std::string> extra = {}) {
    RunOptions options;
    options.env = {{"DATABASE_URL", db.url()},        {"IOT_SECRET_KEY", keyring},
                   {"IOT_CA_DIR", ca_dir},            {"IOT_CA_PASSPHRASE", kPassphrase},
                   {"IOT_CA_INDEX", "database"},      {"ROTATION_CERT_DAYS", "30"},
                   {"IOT_LOG_LEVEL", "error"}};
    for (auto& [k, v] : extra) options.env[k] = v;
    options.unset = {"MQTT_URL", "IOT_SECRET_PEPPER"};
    return run(bin("iot-rotate"), args, options);
  }
  bool revoked(const std::string& serial) {
    for (const auto& e : ca->entries().take())
      if (e.serial == serial) return e.revoked();
    ADD_FAILURE() << "serial " << serial << " is not in the index";
    return false;
  }

  std::string ca_dir, key, old_serial, server_cert;
  std::optional<pki::Authority> ca;
};

TEST_F(ServeCertRotation, TheDeviceSwitchesCertificatesAndTheOldOneStopsWorking) {
  ASSERT_EQ(get("/iot/config", with("old")).status, 200);
  EXPECT_EQ(get("/iot/provisioning", with("old")).status, 409) << "nothing pending yet";

  const auto queued = rotate({"trigger", "--device", key});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  const auto started = rotate({"run"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(nlohmann::json::parse(started.out)["started"], 1) << started.out;
  ASSERT_TRUE(eventually(
      [&] { return get("/iot/config", with("old")).header("x-rotation") == "pending"; }));

  const auto issued = get("/iot/provisioning", with("old"));
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_EQ(issued.header("cache-control"), "no-store");
  const auto package = nlohmann::json::parse(issued.body);
  EXPECT_EQ(package["device_key"], key);
  EXPECT_EQ(package["client_secret"], "");
  EXPECT_EQ(package["ca_cert"], ca->certificate().to_pem());
  save("new", package["client_key"], package["client_cert"]);
  const auto new_serial =
      pki::describe(pki::Certificate::from_pem(package["client_cert"].get<std::string>(), "new").take())
          .serial;
  EXPECT_NE(new_serial, old_serial);
  EXPECT_EQ(get("/iot/provisioning", with("old")).body, issued.body) << "the same pair again";

  // Both work until the device proves the new one; the old one proves nothing.
  EXPECT_EQ(get("/iot/config", with("old")).header("x-rotation"), "pending");
  const auto proof = get("/iot/config", with("new"));
  ASSERT_EQ(proof.status, 200) << proof.body;
  EXPECT_EQ(proof.header("x-rotation"), "");
  EXPECT_EQ(db.scalar("SELECT rotation_state FROM devices WHERE key = '" + key + "'"), "OK");

  const auto old = get("/iot/config", with("old"));
  EXPECT_EQ(old.status, 401) << "a replaced certificate is refused at once, CRL or not";
  EXPECT_NE(old.header("www-authenticate"), "");
  EXPECT_EQ(get("/iot/config", with("new")).status, 200);
  EXPECT_TRUE(revoked(old_serial));
  EXPECT_FALSE(revoked(new_serial));

  // The CRL for the broker, signed by `iot-cert crl` from the same database index, lists it.
  RunOptions cert_env;
  cert_env.env = {{"DATABASE_URL", db.url()}, {"IOT_CA_PASSPHRASE", kPassphrase},
                  {"IOT_CA_INDEX", "database"}};
  const auto crl_path = (dir.path() / "devices.crl").string();
  const auto crl = run(bin("iot-cert"), {"crl", "--ca", ca_dir, "-o", crl_path}, cert_env);
  ASSERT_EQ(crl.exit_code, 0) << crl.err;
  const auto text = run("/usr/bin/openssl", {"crl", "-in", crl_path, "-noout", "-text"});
  std::string upper = old_serial;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(text.out.find(upper), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Superseded"), std::string::npos) << text.out;
}

TEST_F(ServeCertRotation, IotRotateRefusesCertificatesWithAFileIndex) {
  const auto refused = rotate({"run"}, {{"IOT_CA_INDEX", "file"}});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("IOT_CA_INDEX=database"), std::string::npos) << refused.err;
  const auto no_ca = rotate({"trigger", "--device", key}, {{"IOT_CA_DIR", ""}});
  EXPECT_NE(no_ca.exit_code, 0);
  EXPECT_NE(no_ca.err.find("needs the device CA"), std::string::npos) << no_ca.err;
  EXPECT_EQ(db.scalar("SELECT rotation_state FROM devices WHERE key = '" + key + "'"), "OK");
}

}  // namespace
}  // namespace iotfleet::test_support
