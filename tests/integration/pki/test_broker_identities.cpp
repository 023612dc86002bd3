// Device identities on a real Debian Mosquitto: client certificates from iot-cert on a TLS
// listener (require_certificate, use_identity_as_username, crlfile), and the password and ACL
// files of `iot-provision mqtt export`.
#include <gtest/gtest.h>

#include <fstream>

#include "../mqtt/broker.hpp"
#include "cert_fixture.hpp"
#include "core/files.hpp"
#include "integration/provision/provision_fixture.hpp"
#include "mosquitto.hpp"
#include "mqtt/passwd.hpp"
#include "mqtt/publisher.hpp"
#include "mqtt/subscriber.hpp"

namespace iotfleet::test_support {
namespace {

using namespace std::chrono_literals;
constexpr auto kTimeout = 5s;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class BrokerTls : public CertTest {
 protected:
  core::Result<std::unique_ptr<mqtt::Publisher>> connect(const std::string& cert_file,
                                                         const std::string& key_file,
                                                         const std::string& client_id) {
    return mqtt::Publisher::connect(
        mqtt_settings({{"MQTT_URL", "mqtts://localhost:" + std::to_string(port)},
                       {"MQTT_CA_FILE", path("ca/ca.crt")},
                       {"MQTT_CLIENT_CERT", path(cert_file)},
                       {"MQTT_CLIENT_KEY", path(key_file)},
                       {"MQTT_CLIENT_ID", client_id}}),
        kTimeout);
  }
  std::uint16_t port = unused_port();
};

TEST_F(BrokerTls, AcceptsADeviceCertificateAndRefusesExpiredRevokedForeignAndServerOnes) {
  ASSERT_EQ(cert({"ca", "init", "--out", "ca"}).exit_code, 0);
  ASSERT_EQ(
      cert({"issue", "server", "--ca", "ca", "--cn", "localhost", "--out", "broker"}).exit_code, 0);
  ASSERT_EQ(cert({"issue", "device", "good0001", "--ca", "ca", "--out", "dev"}).exit_code, 0);
  ASSERT_EQ(cert({"issue", "device", "revoked1", "--ca", "ca", "--out", "dev"}).exit_code, 0);
  issue_expired_device("ca", "expired1", "dev");
  ASSERT_EQ(cert({"ca", "init", "--out", "other"}).exit_code, 0);
  ASSERT_EQ(cert({"issue", "device", "foreign1", "--ca", "other", "--out", "foreign"}).exit_code,
            0);
  ASSERT_EQ(cert({"issue", "server", "--ca", "ca", "--cn", "localhost", "--out", "srv2"}).exit_code,
            0);
  ASSERT_EQ(cert({"revoke", "revoked1", "--ca", "ca"}).exit_code, 0);
  ASSERT_EQ(cert({"crl", "--ca", "ca", "-o", "broker/crl.pem"}).exit_code, 0);
  // Only the device's own status topic, under the user name its certificate gives it.
  std::ofstream(path("broker/acl")) << "user good0001\ntopic write devices/good0001/status\n";

  Mosquitto broker(path("broker"),
                   "listener " + std::to_string(port) + " 127.0.0.1\n" +
                       "allow_anonymous false\n"
                       "cafile " +
                       path("broker/ca.crt") + "\n" + "certfile " + path("broker/server.crt") +
                       "\n" + "keyfile " + path("broker/server.key") + "\n" +
                       "require_certificate true\n"
                       "use_identity_as_username true\n"
                       "crlfile " +
                       path("broker/crl.pem") + "\n" + "acl_file " + path("broker/acl") + "\n",
                   {port});

  auto good = connect("dev/good0001.crt", "dev/good0001.key", "good");
  ASSERT_TRUE(good.ok()) << good.error().message << "\n" << broker.log();
  EXPECT_TRUE((*good)->publish("devices/good0001/status", "online").ok());

  // paho only sees the session end; openssl s_client shows the alert the broker sent, which
  // names why it refused each certificate. TLS 1.2, where the client certificate is checked
  // inside the handshake, so the alert always arrives before s_client gives up.
  const struct {
    const char* name;
    const char* cert;
    const char* key;
    const char* alert;
  } refused[] = {
      {"expired", "dev/expired1.crt", "dev/expired1.key", "alert certificate expired"},
      {"revoked", "dev/revoked1.crt", "dev/revoked1.key", "alert certificate revoked"},
      {"foreign CA", "foreign/foreign1.crt", "foreign/foreign1.key", "alert unknown ca"},
      {"server purpose", "srv2/server.crt", "srv2/server.key", "alert unsupported certificate"},
  };
  for (const auto& r : refused) {
    SCOPED_TRACE(r.name);
    auto c = connect(r.cert, r.key, std::string("bad-") + r.name);
    ASSERT_FALSE(c.ok()) << "the broker accepted the " << r.name << " certificate";
    EXPECT_EQ(c.error().kind, core::ErrorKind::unavailable);
    RunOptions options;
    options.cwd = dir.path().string();
    options.stdin_data = "";
    const auto s =
        run("/usr/bin/openssl",
            {"s_client", "-tls1_2", "-connect", "127.0.0.1:" + std::to_string(port), "-servername",
             "localhost", "-CAfile", "ca/ca.crt", "-cert", r.cert, "-key", r.key},
            options);
    EXPECT_TRUE(contains(s.out + s.err, r.alert)) << s.out << s.err;
  }
  // The broker took the certificate's CN as the user name.
  EXPECT_TRUE(contains(broker.log(), "u'good0001'")) << broker.log();
}

class BrokerPasswords : public ProvisionTest {};

TEST_F(BrokerPasswords, ExportedFilesLetEachDeviceInWithItsSecretAndOnlyToItsTopics) {
  create_model("sensor");
  const auto keys = create_devices("sensor", 2);
  ASSERT_EQ(keys.size(), 2u);
  std::map<std::string, nlohmann::json> package;
  for (const auto& key : keys) {
    const auto r = provision({"package", key});  // JSON is the default format
    ASSERT_EQ(r.exit_code, 0) << r.err;
    package[key] = nlohmann::json::parse(r.out);
  }
  const std::string a = keys[0], b = keys[1];
  const std::string a_user = package[a]["client_id"], a_pass = package[a]["client_secret"];

  const auto broker_dir = dir.path() / "broker";
  std::filesystem::create_directories(broker_dir);
  const std::string passwd = (broker_dir / "passwd").string(), acl = (broker_dir / "acl").string();
  const auto out = provision_json({"mqtt", "export", "--passwd", passwd, "--acl", acl});
  EXPECT_EQ(out["password_devices"], 2);
  // Each line is mosquitto_passwd's $7$ format and holds the secret of the device's package.
  const auto lines = core::read_file(passwd, 1 << 20).take();
  EXPECT_TRUE(contains(lines, a_user + ":$7$101$"));
  std::istringstream in(lines);
  int matched = 0;
  for (std::string line; std::getline(in, line);)
    for (const auto& key : keys)
      matched += mqtt::passwd_line_matches(line, package[key]["client_id"].get<std::string>(),
                                           package[key]["client_secret"].get<std::string>());
  EXPECT_EQ(matched, 2);

  const std::uint16_t device_port = unused_port();
  std::uint16_t observer_port;
  do observer_port = unused_port();
  while (observer_port == device_port);
  Mosquitto broker(broker_dir,
                   "listener " + std::to_string(device_port) + " 127.0.0.1\n" +
                       "allow_anonymous false\n"
                       "password_file " +
                       passwd + "\n" + "acl_file " + acl + "\n" +
                       // An observer (the backend's role) on a listener of its own.
                       "listener " + std::to_string(observer_port) + " 127.0.0.1\n" +
                       "allow_anonymous true\n",
                   {device_port, observer_port});
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(device_port);
  auto device = [&](const std::string& user, const std::string& password, const std::string& id) {
    return mqtt_settings({{"MQTT_URL", url},
                          {"MQTT_USERNAME", user},
                          {"MQTT_PASSWORD", password},
                          {"MQTT_CLIENT_ID", id}});
  };

  auto wrong = mqtt::Publisher::connect(device(a_user, a_pass + "x", "wrong"), kTimeout);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(contains(wrong.error().message, "not authorized")) << wrong.error().message;
  auto swapped = mqtt::Publisher::connect(
      device(a_user, package[b]["client_secret"].get<std::string>(), "swapped"), kTimeout);
  ASSERT_FALSE(swapped.ok());

  auto observer = mqtt::Subscriber::connect(
      mqtt_settings({{"MQTT_URL", "mqtt://127.0.0.1:" + std::to_string(observer_port)},
                     {"MQTT_CLIENT_ID", "observer"}}),
      kTimeout);
  ASSERT_TRUE(observer.ok()) << observer.error().message;
  ASSERT_TRUE((*observer)->subscribe("#").ok());

  auto pub = mqtt::Publisher::connect(device(a_user, a_pass, a_user), kTimeout);
  ASSERT_TRUE(pub.ok()) << pub.error().message << "\n" << broker.log();
  auto sub = mqtt::Subscriber::connect(device(a_user, a_pass, a_user + "-sub"), kTimeout);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE((*sub)->subscribe("commands/#").ok());

  // Writes: its own sensors and status pass; another device's topics and commands do not.
  for (const std::string& topic :
       {"sensors/" + b + "/t", "commands/" + a + "/x", "devices/" + b + "/status",
        "sensors/" + a + "/t", "devices/" + a + "/status"})
    ASSERT_TRUE((*pub)->publish(topic, "from a").ok()) << topic;
  auto seen = (*observer)->collect(5, 1500ms);
  ASSERT_TRUE(seen.ok());
  std::vector<std::string> topics;
  for (const auto& m : *seen) topics.push_back(m.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"sensors/" + a + "/t", "devices/" + a + "/status"}));

  // Reads: the commands of device a reach it, those of device b do not.
  auto backend = mqtt::Publisher::connect(
      mqtt_settings({{"MQTT_URL", "mqtt://127.0.0.1:" + std::to_string(observer_port)},
                     {"MQTT_CLIENT_ID", "backend"}}),
      kTimeout);
  ASSERT_TRUE(backend.ok());
  ASSERT_TRUE((*backend)->publish("commands/" + b + "/reboot", "b").ok());
  ASSERT_TRUE((*backend)->publish("commands/" + a + "/reboot", "a").ok());
  auto got = (*sub)->collect(2, 1500ms);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().topic, "commands/" + a + "/reboot");
}

}  // namespace
}  // namespace iotfleet::test_support
