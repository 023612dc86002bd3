// iot-serve's bearer (Keycloak stand-in tokens) and client-certificate modes over TLS.
#include <cstdlib>
#include <thread>

#include "fleet/devices.hpp"
#include "idp/keycloak.hpp"
#include "integration/http/serve_fixture.hpp"
#include "store/rotation.hpp"
#include "support/keycloak_standin.hpp"
#include "test_support/process.hpp"

namespace iotfleet::test_support {
namespace {

class ServeJwt : public ServeTest {
 protected:
  void SetUp() override {
    idp::KeycloakSettings s;
    s.base_url = kc.url();
    s.realm = "iot";
    s.admin_client_id = KeycloakStandin::kAdminClientId;
    s.admin_client_secret = KeycloakStandin::kAdminClientSecret;
    provider = std::make_unique<idp::KeycloakProvider>(s);
    fleet::DeviceSpec spec;
    spec.model_code = "env_sensor";
    spec.identity = "keycloak";
    spec.count = 2;
    for (const auto& d :
         fleet::create_devices(session, spec, fleet::IdentitySources{box, nullptr, provider.get()})
             .take()) {
      kc_keys.push_back(d.key);
      secrets[d.key] = fleet::read_credential(session, d.key, box).take().secret;
    }
    local = create_local_devices("env_sensor", 1)[0];
    std::map<std::string, std::string> extra{{"IOT_SERVE_AUTH", "jwt,secret"},
                                             {"OIDC_ISSUER_URL", kc.issuer()},
                                             {"OIDC_AUDIENCE", "iot-api"},
                                             {"OIDC_CLOCK_SKEW_SECONDS", "0"}};
    for (const auto& [k, v] : kc.env()) extra[k] = v;
    start(extra);
  }
  HttpOptions bearer(const std::string& key, const std::string& secret = "") {
    HttpOptions o;
    o.bearer =
        kc.device_token("iotdevice-env_sensor-" + key, secret.empty() ? secrets[key] : secret);
    return o;
  }
  KeycloakStandin kc;
  std::unique_ptr<idp::KeycloakProvider> provider;
  std::vector<std::string> kc_keys;
  std::string local;
};

TEST_F(ServeJwt, ValidTokensAreServedAndBadOnesRefused) {
  const auto ok = get("/iot/config", bearer(kc_keys[0]));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(get("/iot/config", as(local)).status, 200);  // both modes at once
  HttpOptions junk;
  junk.bearer = "not.a.token";
  const auto bad = get("/iot/config", junk);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.header("www-authenticate"), "Bearer realm=\"iot\", Basic realm=\"iot\"");
  EXPECT_NE(
      get("/metrics").body.find("iot_serve_auth_failures_total{reason=\"malformed_token\"} 1"),
      std::string::npos);
  // A proven identity without access: deactivated → 403; deleted → 404.
  const auto token = bearer(kc_keys[1]);
  ASSERT_TRUE(fleet::set_device_active(session, kc_keys[1], false));
  EXPECT_TRUE(eventually([&] { return get("/iot/config", token).status == 403; }));
  pqxx::work tx(db.conn());
  tx.exec0("DELETE FROM devices WHERE key = '" + kc_keys[1] + "'");
  tx.commit();
  EXPECT_TRUE(eventually([&] { return get("/iot/config", token).status == 404; }));
}

TEST_F(ServeJwt, AKeycloakRotationInstallsTheSecretAndCompletesWithANewToken) {
  const std::string key = kc_keys[0];
  const std::string fresh = idp::generate_secret();
  {
    pqxx::work tx(db.conn());
    store::RotationRepository repo(tx);
    const auto row = repo.lock(key);
    repo.start(row->id, box.seal(fresh, idp::device_secret_context(key)), core::utc_now_iso(true));
    tx.commit();
  }
  const auto old_token = bearer(key);
  ASSERT_TRUE(
      eventually([&] { return get("/iot/config", old_token).header("x-rotation") == "pending"; }));
  const auto issued = get("/iot/provisioning", old_token);
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_EQ(nlohmann::json::parse(issued.body)["client_secret"], fresh);
  // Keycloak now accepts the new secret for the device's client.
  EXPECT_EQ(kc.request_token("iotdevice-env_sensor-" + key, fresh).first, 200);
  // The old token was issued before the install (no skew allowed here): it proves nothing.
  EXPECT_EQ(get("/iot/config", old_token).header("x-rotation"), "pending");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // iat is in whole seconds
  const auto done = get("/iot/config", bearer(key, fresh));
  EXPECT_EQ(done.status, 200);
  EXPECT_EQ(done.header("x-rotation"), "");
  EXPECT_EQ(db.scalar("SELECT rotation_state FROM devices WHERE key = '" + key + "'"), "OK");
}

class ServeCert : public ServeTest {
 protected:
  void SetUp() override {
    const std::string d = dir.path().string();
    const auto [cert, key] = make_tls_certificate(d);
    server_cert = cert;
    const auto sh = [&](const std::string& cmd) {
      const auto r = run("/bin/sh", {"-c", cmd});
      ASSERT_EQ(r.exit_code, 0) << cmd << "\n" << r.err;
    };
    sh("cd " + d +
       " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
       "-keyout ca.key -out ca.pem -days 2 -subj /CN=Device-CA 2>/dev/null");
    sh("cd " + d +
       " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
       "-keyout rogue.key -out rogue.pem -days 2 -subj /CN=Rogue-CA 2>/dev/null");
    const auto issue = [&](const std::string& name, const std::string& cn, const std::string& ca) {
      sh("cd " + d +
         " && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
         "-keyout " +
         name + ".key -out " + name + ".csr -subj /CN=" + cn +
         " 2>/dev/null && "
         "openssl x509 -req -in " +
         name + ".csr -CA " + ca + ".pem -CAkey " + ca +
         ".key "
         "-CAcreateserial -out " +
         name + ".pem -days 1 2>/dev/null");
    };
    local = create_local_devices("env_sensor", 1)[0];
    pqxx::work tx(db.conn());
    tx.exec0(
        "INSERT INTO devices (key, model_id, identity_kind, client_id, config) VALUES "
        "('c3rtc3rt', (SELECT id FROM device_models WHERE code = 'env_sensor'), 'cert', "
        "'iotdevice-env_sensor-c3rtc3rt', '{\"cert\": true}')");
    tx.commit();
    issue("device", "c3rtc3rt", "ca");
    issue("stranger", "zzzzzzzz", "ca");
    issue("impostor", local, "ca");
    issue("rogue_device", "c3rtc3rt", "rogue");
    scheme = "https";
    start({{"IOT_SERVE_AUTH", "cert,secret"},
           {"IOT_SERVE_TLS_CERT", cert},
           {"IOT_SERVE_TLS_KEY", key},
           {"IOT_SERVE_CLIENT_CA", d + "/ca.pem"},
           {"IOT_SERVE_DEVICE_CA_CERT", d + "/ca.pem"}});
  }
  HttpOptions with_cert(const std::string& name) {
    HttpOptions o;
    o.ca_file = server_cert;
    o.client_cert = dir.path().string() + "/" + name + ".pem";
    o.client_key = dir.path().string() + "/" + name + ".key";
    return o;
  }
  std::string server_cert, local;
};

TEST_F(ServeCert, ClientCertificatesNameTheirDevice) {
  const auto ok = get("/iot/config", with_cert("device"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "{\"cert\": true}");
  EXPECT_EQ(get("/iot/config", with_cert("stranger")).status, 404);
  EXPECT_EQ(get("/iot/config", with_cert("impostor")).status, 403);    // a local device's key
  EXPECT_EQ(get("/iot/config", with_cert("rogue_device")).status, 0);  // TLS refuses it
  HttpOptions plain;
  plain.ca_file = server_cert;
  EXPECT_EQ(get("/iot/config", plain).status, 401);
  auto basic = as(local);
  basic.ca_file = server_cert;
  EXPECT_EQ(get("/iot/config", basic).status, 200);  // secret mode over TLS
  const auto ca = get("/ca.crt", plain);
  EXPECT_EQ(ca.status, 200);
  EXPECT_NE(ca.body.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(get("/iot/provisioning", with_cert("device")).status, 409);
}

}  // namespace
}  // namespace iotfleet::test_support
