#include "pki/certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <set>

namespace iotfleet::pki {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = std::chrono::system_clock::from_time_t(1795000000);  // 2026-11-18

struct Ca {
  PrivateKey key = PrivateKey::generate(KeyType::ec_p256).take();
  Certificate cert =
      sign({CertKind::ca, "Test CA", {}, kNow, kNow + 3650 * 24h}, key, nullptr, key).take();
};

Certificate issue(const Ca& ca, CertKind kind, const PrivateKey& key,
                  std::vector<std::string> sans = {}) {
  return sign({kind, kind == CertKind::device ? "k3x9a2b1" : "broker.example", std::move(sans),
               kNow, kNow + 365 * 24h},
              key, &ca.cert, ca.key)
      .take();
}

TEST(Sign, CaHasCriticalBasicConstraintsAndCertSignUsage) {
  Ca ca;
  X509* x = ca.cert.get();
  const auto info = describe(ca.cert);
  EXPECT_EQ(info.kind, CertKind::ca);
  EXPECT_EQ(info.subject, "CN=Test CA");
  EXPECT_EQ(info.issuer, "CN=Test CA");
  EXPECT_EQ(X509_get_version(x), X509_VERSION_3);
  const int bc = X509_get_ext_by_NID(x, NID_basic_constraints, -1);
  ASSERT_GE(bc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(x, bc)), 1);
  EXPECT_EQ(X509_get_key_usage(x), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(x), nullptr);
  EXPECT_EQ(X509_check_issued(x, x), X509_V_OK);
}

TEST(Sign, DeviceCertificateIsForClientsWithTheKeyAsCommonName) {
  Ca ca;
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  const auto cert = issue(ca, CertKind::device, key);
  X509* x = cert.get();
  const auto info = describe(cert);
  EXPECT_EQ(info.kind, CertKind::device);
  EXPECT_EQ(info.common_name, "k3x9a2b1");
  EXPECT_EQ(info.key, "EC P-256");
  EXPECT_EQ(X509_get_extended_key_usage(x), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_key_usage(x), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
  EXPECT_NE(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_ca(x), 0);
  // The authority key identifier is the CA's subject key identifier.
  ASSERT_NE(X509_get0_authority_key_id(x), nullptr);
  EXPECT_EQ(
      ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), X509_get0_subject_key_id(ca.cert.get())),
      0);
  EXPECT_TRUE(matches_key(cert, key));
  EXPECT_FALSE(matches_key(cert, ca.key));
}

TEST(Sign, ServerCertificateCarriesSansAndRsaKeyEncipherment) {
  Ca ca;
  const auto key = PrivateKey::generate(KeyType::rsa_2048).take();
  const auto sans = parse_sans({"DNS:broker.example", "IP:10.0.0.7", "IP:::1"}).take();
  const auto cert = issue(ca, CertKind::server, key, sans);
  const auto info = describe(cert);
  EXPECT_EQ(info.kind, CertKind::server);
  EXPECT_EQ(info.sans, (std::vector<std::string>{"DNS:broker.example", "IP:10.0.0.7", "IP:::1"}));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_key_usage(cert.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  EXPECT_EQ(X509_check_host(cert.get(), "broker.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.7", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "other.example", 0, 0, nullptr), 1);
}

TEST(Sign, SerialsAreRandomPositiveAndAtMost128Bits) {
  Ca ca;
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  std::set<std::string> serials;
  for (int i = 0; i < 50; ++i) {
    const auto cert = issue(ca, CertKind::device, key);
    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
    const auto hex = describe(cert).serial;
    EXPECT_LE(hex.size(), 32u);
    EXPECT_NE(hex, "0");
    serials.insert(hex);
  }
  EXPECT_EQ(serials.size(), 50u);
  // 50 random 128-bit serials: some must be longer than 120 bits.
  bool long_one = false;
  for (const auto& s : serials) long_one |= s.size() >= 31;
  EXPECT_TRUE(long_one);
}

TEST(Sign, ValidityIsTheRequestedPeriod) {
  Ca ca;
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  const auto info = describe(issue(ca, CertKind::device, key));
  EXPECT_EQ(info.not_before, kNow);
  EXPECT_EQ(info.not_after, kNow + 365 * 24h);
}

TEST(Sign, RefusesInconsistentRequests) {
  Ca ca;
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  EXPECT_FALSE(sign({CertKind::device, "", {}, kNow, kNow + 24h}, key, &ca.cert, ca.key).ok());
  EXPECT_FALSE(sign({CertKind::device, "k", {}, kNow, kNow - 1s}, key, &ca.cert, ca.key).ok());
  EXPECT_FALSE(
      sign({CertKind::device, "k", {"DNS:x"}, kNow, kNow + 24h}, key, &ca.cert, ca.key).ok());
  EXPECT_FALSE(sign({CertKind::ca, "sub", {}, kNow, kNow + 24h}, key, &ca.cert, ca.key).ok());
}

TEST(Sans, AcceptsDnsAndIpAndRejectsTheRest) {
  EXPECT_EQ(parse_sans({"IP:2001:db8::1"}).take(), std::vector<std::string>{"IP:2001:db8::1"});
  EXPECT_FALSE(parse_sans({"broker.example"}).ok());
  EXPECT_FALSE(parse_sans({"DNS:a,DNS:b"}).ok());  // no smuggling extra names
  EXPECT_FALSE(parse_sans({"IP:300.1.1.1"}).ok());
  EXPECT_FALSE(parse_sans({"DNS:"}).ok());
}

TEST(Serials, NormalizesWhatUsersType) {
  EXPECT_EQ(normalize_serial("0A:1B:ff").value(), "a1bff");
  EXPECT_EQ(normalize_serial("0x00ab").value(), "ab");
  EXPECT_FALSE(normalize_serial("k3x9a2b1").has_value());
  EXPECT_FALSE(normalize_serial("").has_value());
}

TEST(Pem, CertificateRoundTripsAndGarbageFails) {
  Ca ca;
  const auto back = Certificate::from_pem(ca.cert.to_pem(), "ca.crt").take();
  EXPECT_EQ(describe(back).sha256, describe(ca.cert).sha256);
  EXPECT_EQ(describe(back).sha256.size(), 64u);
  auto bad = Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                   "x.crt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x.crt"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::pki
