// lib/seal/keys: the certificate kubeseal would accept, and the private keys recovery reads.
#include "seal/keys.hpp"

#include <gtest/gtest.h>

#include "seal/document.hpp"
#include "seal_fixtures.hpp"
#include "support/manual_clock.hpp"

namespace iotfleet::seal {
namespace {

using seal_test::fixture;

constexpr std::int64_t k2030 = 1893456000;  // 2030-01-01
constexpr std::int64_t k2037 = 2114380800;  // 2037-01-01, after the 2036-11-19 expiry

TEST(Certificate, FixtureLoads) {
  test_support::ManualClock clock(k2030);
  auto cert = parse_certificate(fixture("controller.crt"), "controller.crt", clock);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  EXPECT_EQ(cert->key.bits(), 4096);
  EXPECT_EQ(cert->subject, "CN=sealed-secret");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(cert->not_after),
            2110678409);  // 2036-11-19 03:33:29Z
  EXPECT_EQ(cert->key.public_key_digest().size(), 64u);
}

TEST(Certificate, ExpiredIsRefusedWithTheDate) {
  test_support::ManualClock clock(k2037);
  auto cert = parse_certificate(fixture("controller.crt"), "controller.crt", clock);
  ASSERT_FALSE(cert.ok());
  EXPECT_NE(cert.error().message.find("expired certificate"), std::string::npos)
      << cert.error().message;
  EXPECT_NE(cert.error().message.find("November 19, 2036"), std::string::npos)
      << cert.error().message;
  EXPECT_NE(cert.error().hint.find("--fetch-cert"), std::string::npos);
}

TEST(Certificate, NonRsaIsRefused) {
  // The fixture Secret carries an EC P-256 CA certificate: a real certificate, but not RSA.
  auto secrets = parse_secrets(fixture("secret.yaml"), "secret.yaml");
  ASSERT_TRUE(secrets.ok());
  const auto& pem = secrets->front().data.at("ca.crt");
  auto cert = parse_certificate(seal_test::text(pem), "ec.crt");
  ASSERT_FALSE(cert.ok());
  EXPECT_NE(cert.error().message.find("expected an RSA public key"), std::string::npos)
      << cert.error().message;
  EXPECT_NE(cert.error().message.find("id-ecPublicKey"), std::string::npos) << cert.error().message;
}

TEST(Certificate, GarbageIsRefused) {
  auto cert = parse_certificate("<html>not found</html>", "http://x/v1/cert.pem");
  ASSERT_FALSE(cert.ok());
  EXPECT_NE(cert.error().message.find("no PEM certificate"), std::string::npos);
}

TEST(Certificate, UrlsAndControllerPath) {
  EXPECT_TRUE(is_url("https://sealed.example/v1/cert.pem"));
  EXPECT_TRUE(is_url("file:///tmp/x.pem"));
  EXPECT_FALSE(is_url("controller.crt"));
  EXPECT_EQ(controller_cert_url("http://127.0.0.1:8080"), "http://127.0.0.1:8080/v1/cert.pem");
  EXPECT_EQ(controller_cert_url("http://h/"), "http://h/v1/cert.pem");
  EXPECT_EQ(controller_cert_url("http://h/v1/cert.pem"), "http://h/v1/cert.pem");
}

TEST(PrivateKeys, PemAndSecretForms) {
  auto pem = parse_private_keys(fixture("controller.key"), "controller.key");
  ASSERT_TRUE(pem.ok()) << pem.error().message;
  ASSERT_EQ(pem->size(), 1u);
  EXPECT_EQ(pem->front().bits(), 4096);
  // The public half matches the certificate's.
  const auto cert = seal_test::controller_cert();
  EXPECT_EQ(pem->front().public_key_digest(), cert.key.public_key_digest());

  // As 'kubectl get secret -o yaml' prints the controller's key Secret (a List of them).
  const std::string b64 = core::base64_encode(core::as_bytes(fixture("controller.key")));
  const std::string list =
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n"
      "  type: kubernetes.io/tls\n  data:\n    tls.crt: eA==\n    tls.key: " +
      b64 + "\n";
  auto from_secret = parse_private_keys(list, "keys.yaml");
  ASSERT_TRUE(from_secret.ok()) << from_secret.error().message;
  EXPECT_EQ(from_secret->front().public_key_digest(), cert.key.public_key_digest());

  auto none = parse_private_keys(fixture("controller.crt"), "controller.crt");
  EXPECT_FALSE(none.ok());
  auto bad = parse_private_keys("kind: Secret\ndata: {}\n", "s.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("tls.key"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::seal
