// Publisher and Subscriber against real Mosquitto brokers: the shared one of scripts/services.sh
// and, for passwords and TLS, a private one each test starts. Topics and client ids carry a
// random suffix so the tests run in parallel.
#include "mqtt/publisher.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "broker.hpp"
#include "mqtt/notices.hpp"
#include "mqtt/subscriber.hpp"
#include "mqtt/topics.hpp"

namespace iotfleet::mqtt {
namespace {

using namespace std::chrono_literals;
using core::ErrorKind;
using test_support::PrivateBroker;

constexpr auto kTimeout = 5s;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SharedBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url = test_support::shared_mqtt_url();
    suffix = test_support::unique_suffix();
  }
  Settings settings(const std::string& role) const {
    return test_support::mqtt_settings(
        {{"MQTT_URL", url}, {"MQTT_CLIENT_ID", "itest-" + suffix + "-" + role}});
  }
  std::unique_ptr<Publisher> publisher() {
    auto p = Publisher::connect(settings("pub"), kTimeout);
    if (!p) throw std::runtime_error(p.error().message);
    return std::move(*p);
  }
  std::unique_ptr<Subscriber> subscriber(const std::string& role, const std::string& filter) {
    auto s = Subscriber::connect(settings(role), kTimeout);
    if (!s) throw std::runtime_error(s.error().message);
    if (auto st = (*s)->subscribe(filter); !st) throw std::runtime_error(st.error().message);
    return std::move(*s);
  }
  std::string topic(const std::string& leaf) const { return "itest/" + suffix + "/" + leaf; }

  std::string url;
  std::string suffix;
};

TEST_F(SharedBrokerTest, Qos1MessageIsReceived) {
  auto sub = subscriber("sub", topic("#"));
  auto pub = publisher();
  const std::string payload("binary\0payload\xff", 15);
  ASSERT_TRUE(pub->publish(topic("a"), payload).ok());
  auto m = sub->next(kTimeout);
  ASSERT_TRUE(m.ok()) << m.error().message << " / " << m.error().hint;
  ASSERT_TRUE(m->has_value()) << "no message within 5 s";
  EXPECT_EQ((*m)->topic, topic("a"));
  EXPECT_EQ((*m)->payload, payload);
  EXPECT_FALSE((*m)->retained);
  EXPECT_EQ((*m)->qos, 1);
}

TEST_F(SharedBrokerTest, RotationNoticeIsRetainedForALaterSubscriber) {
  const std::string client_id = "dev-" + suffix;
  const std::string t = rotation_topic(client_id).value();
  const std::string notice = rotation_notice(client_id, "k3x9a2b1", "2026-12-05T08:00:00Z").value();
  {
    auto pub = publisher();
    ASSERT_TRUE(pub->publish(t, notice, 1, true).ok());
  }  // disconnected: the broker, not the publisher, keeps it
  auto sub = subscriber("late", t);
  auto m = sub->next(kTimeout);
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_TRUE(m->has_value()) << "the retained notice did not arrive";
  EXPECT_EQ((*m)->payload, notice);
  EXPECT_TRUE((*m)->retained);
  auto pub = publisher();
  EXPECT_TRUE(pub->clear_retained(t).ok());
}

TEST_F(SharedBrokerTest, ClearRetainedRemovesIt) {
  const std::string t = topic("retained");
  auto pub = publisher();
  ASSERT_TRUE(pub->publish(t, "notice", 1, true).ok());
  ASSERT_TRUE(pub->clear_retained(t).ok());
  auto sub = subscriber("late", t);
  auto m = sub->next(700ms);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_FALSE(m->has_value()) << "still retained: '" << (*m)->payload << "'";
}

TEST_F(SharedBrokerTest, CollectGathersSeveralMessagesInOrder) {
  auto sub = subscriber("sub", topic("#"));
  auto pub = publisher();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pub->publish(topic("n"), std::to_string(i)).ok());
  auto all = sub->collect(3, kTimeout);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*all)[i].payload, std::to_string(i));
}

// paho's MQTTClient_waitForCompletion polls in 100 ms steps; the Publisher must not.
TEST_F(SharedBrokerTest, ManyQos1PublishesDoNotWait100msEach) {
  auto sub = subscriber("sub", topic("#"));
  auto pub = publisher();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(pub->publish(topic("fast"), std::to_string(i)).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  auto all = sub->collect(50, kTimeout);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->size(), 50u);
}

TEST_F(SharedBrokerTest, TopicsWithWildcardsAreRefusedAndNothingIsSent) {
  auto sub = subscriber("sub", topic("#"));
  auto pub = publisher();
  for (const std::string& bad : {topic("+"), topic("#"), topic("a+b"), std::string()}) {
    auto s = pub->publish(bad, "x");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().kind, ErrorKind::failure);
  }
  EXPECT_FALSE(pub->publish(topic("q"), "x", 3).ok());
  EXPECT_FALSE(sub->subscribe(topic("a#")).ok());
  auto m = sub->next(300ms);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
  EXPECT_TRUE(pub->publish(topic("still-connected"), "x").ok());
}

TEST(MqttConnect, NothingListeningIsUnavailableQuickly) {
  const auto port = test_support::unused_port();
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(port);
  const auto started = std::chrono::steady_clock::now();
  auto p = Publisher::connect(test_support::mqtt_settings({{"MQTT_URL", url}}), 2s);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(p.error().message, "cannot connect to MQTT broker " + url +
                                   ": connection refused: nothing is listening on port " +
                                   std::to_string(port));
  EXPECT_LT(elapsed, 3s);
}

TEST(MqttConnect, UnknownHostIsUnavailable) {
  auto p = Subscriber::connect(
      test_support::mqtt_settings({{"MQTT_URL", "mqtt://no-such-host.invalid:1883"}}), 2s);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(contains(p.error().message, "cannot resolve host 'no-such-host.invalid'"))
      << p.error().message;
}

TEST(MqttConnect, BadUrlIsAUsageError) {
  auto e = test_support::mqtt_settings_error({{"MQTT_URL", "http://127.0.0.1:1883"}});
  EXPECT_EQ(e.kind, ErrorKind::usage);
  EXPECT_EQ(e.message, "MQTT_URL 'http://127.0.0.1:1883' must start with mqtt:// or mqtts://");
}

TEST(MqttAuth, WrongPasswordIsNotAuthorizedWithoutThePassword) {
  PrivateBroker broker;
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(broker.password_port());
  const std::string secret = "wrong-Secret-4711";
  auto p = Publisher::connect(
      test_support::mqtt_settings(
          {{"MQTT_URL", url}, {"MQTT_USERNAME", "sensor_ab12"}, {"MQTT_PASSWORD", secret}}),
      kTimeout);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(p.error().message,
            "cannot connect to MQTT broker " + url + ": connection refused: not authorized");
  EXPECT_FALSE(contains(p.error().message + p.error().hint, secret));
}

TEST(MqttAuth, PasswordInTheUrlIsRedacted) {
  PrivateBroker broker;
  const std::string url =
      "mqtt://sensor_ab12:wrong-Secret-4711@127.0.0.1:" + std::to_string(broker.password_port());
  auto p = Publisher::connect(test_support::mqtt_settings({{"MQTT_URL", url}}), kTimeout);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.error().message, "mqtt://sensor_ab12:***@127.0.0.1:"))
      << p.error().message;
  EXPECT_FALSE(contains(p.error().message, "wrong-Secret-4711"));
}

TEST(MqttAuth, RightPasswordWithColonAndUmlautsConnects) {
  PrivateBroker broker;
  auto p = Publisher::connect(
      test_support::mqtt_settings(
          {{"MQTT_URL", "mqtt://127.0.0.1:" + std::to_string(broker.password_port())},
           {"MQTT_USERNAME", "sensor_ab12"},
           {"MQTT_PASSWORD", "p\xc3\xa4ss:w\xc3\xb6rd"}}),
      kTimeout);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE((*p)->publish("sensors/sensor_ab12/t", "21.5").ok());
}

// Mosquitto 2.0 acknowledges a subscription its ACL forbids (MQTT 3.1.1 has no way to say
// why) and then delivers nothing on it: a refusal is not visible to the subscriber.
TEST(MqttAuth, AclFiltersWhatASubscriberReceives) {
  PrivateBroker broker;
  const std::string url = "mqtt://127.0.0.1:" + std::to_string(broker.password_port());
  auto sub = Subscriber::connect(
      test_support::mqtt_settings({{"MQTT_URL", url},
                                   {"MQTT_CLIENT_ID", "sensor"},
                                   {"MQTT_USERNAME", "sensor_ab12"},
                                   {"MQTT_PASSWORD", "p\xc3\xa4ss:w\xc3\xb6rd"}}),
      kTimeout);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE((*sub)->subscribe("sensors/sensor_ab12/#").ok());
  ASSERT_TRUE((*sub)->subscribe("commands/other/#").ok());
  auto pub =
      Publisher::connect(test_support::mqtt_settings({{"MQTT_URL", url},
                                                      {"MQTT_CLIENT_ID", "backend"},
                                                      {"MQTT_USERNAME", "os2iot-backend"},
                                                      {"MQTT_PASSWORD", "backend-test-pass-1"}}),
                         kTimeout);
  ASSERT_TRUE(pub.ok()) << pub.error().message;
  ASSERT_TRUE((*pub)->publish("commands/other/x", "forbidden").ok());
  ASSERT_TRUE((*pub)->publish("sensors/sensor_ab12/x", "allowed").ok());
  auto all = (*sub)->collect(2, 1500ms);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().payload, "allowed");
}

TEST(MqttTls, HostNameOfTheCertificateConnects) {
  PrivateBroker broker;
  const auto settings = test_support::mqtt_settings(
      {{"MQTT_URL", "mqtts://localhost:" + std::to_string(broker.tls_port())},
       {"MQTT_CA_FILE", broker.ca_file()}});
  auto sub = Subscriber::connect(settings, kTimeout);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE((*sub)->subscribe("tls/#").ok());
  auto pub_settings = settings;
  pub_settings.client_id += "-pub";
  auto pub = Publisher::connect(pub_settings, kTimeout);
  ASSERT_TRUE(pub.ok()) << pub.error().message;
  ASSERT_TRUE((*pub)->publish("tls/x", "over tls").ok());
  auto m = (*sub)->next(kTimeout);
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_EQ((*m)->payload, "over tls");
}

TEST(MqttTls, IpAddressNotInTheCertificateIsRefusedWithAHint) {
  PrivateBroker broker;
  auto p = Publisher::connect(
      test_support::mqtt_settings(
          {{"MQTT_URL", "mqtts://127.0.0.1:" + std::to_string(broker.tls_port())},
           {"MQTT_CA_FILE", broker.ca_file()}}),
      kTimeout);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(contains(p.error().message, "certificate probably does not name '127.0.0.1'"))
      << p.error().message;
  EXPECT_TRUE(contains(p.error().hint, "mqtts://localhost:PORT")) << p.error().hint;
}

TEST(MqttTls, UnknownCaFailsVerification) {
  PrivateBroker broker;
  auto p = Publisher::connect(
      test_support::mqtt_settings(
          {{"MQTT_URL", "mqtts://localhost:" + std::to_string(broker.tls_port())},
           {"MQTT_CA_FILE", broker.other_ca_file()}}),
      kTimeout);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(contains(p.error().message, "TLS handshake failed: certificate verify failed"))
      << p.error().message;
}

TEST(MqttTls, ClientCertificateIsPresented) {
  PrivateBroker broker;
  const std::string url = "mqtts://localhost:" + std::to_string(broker.cert_port());
  auto p =
      Publisher::connect(test_support::mqtt_settings({{"MQTT_URL", url},
                                                      {"MQTT_CA_FILE", broker.ca_file()},
                                                      {"MQTT_CLIENT_CERT", broker.client_cert()},
                                                      {"MQTT_CLIENT_KEY", broker.client_key()}}),
                         kTimeout);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE((*p)->publish("devices/dev-1/status", "online").ok());
}

TEST(MqttTls, MissingClientCertificateIsUnavailable) {
  PrivateBroker broker;
  const std::string url = "mqtts://localhost:" + std::to_string(broker.cert_port());
  auto p = Publisher::connect(
      test_support::mqtt_settings({{"MQTT_URL", url}, {"MQTT_CA_FILE", broker.ca_file()}}),
      kTimeout);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(contains(p.error().message, "cannot connect to MQTT broker " + url + ": "));
  EXPECT_TRUE(contains(p.error().hint, "set MQTT_CLIENT_CERT and MQTT_CLIENT_KEY"))
      << p.error().message << " / " << p.error().hint;
}

TEST(MqttTls, PlainMqttToATlsPortSaysSo) {
  PrivateBroker broker;
  auto p = Publisher::connect(
      test_support::mqtt_settings(
          {{"MQTT_URL", "mqtt://127.0.0.1:" + std::to_string(broker.tls_port())}}),
      kTimeout);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(contains(p.error().hint, "use mqtts://"))
      << p.error().message << " / " << p.error().hint;
}

}  // namespace
}  // namespace iotfleet::mqtt
