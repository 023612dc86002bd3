#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <set>

#include "core/files.hpp"
#include "pki/authority.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::pki {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = std::chrono::system_clock::from_time_t(1795000000);

struct Crl {
  X509_CRL* crl;
  explicit Crl(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    crl = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  ~Crl() { X509_CRL_free(crl); }
  long number() const {
    auto* n =
        static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
    const long v = ASN1_INTEGER_get(n);
    ASN1_INTEGER_free(n);
    return v;
  }
};

TEST(Crl, ListsRevokedSerialsWithReasonsSignedByTheCa) {
  test_support::TempDir tmp;
  const std::string dir = (tmp.path() / "ca").string();
  auto ca = Authority::init(dir, {}, "a long enough passphrase", kNow).take();
  const auto a = ca.issue_device("aaaaaaaa", 365, KeyType::ec_p256, kNow).take();
  const auto b = ca.issue_device("bbbbbbbb", 365, KeyType::ec_p256, kNow).take();
  const auto c = ca.issue_device("cccccccc", 365, KeyType::ec_p256, kNow).take();
  ca.revoke(a.info.serial, "keyCompromise", kNow + 1h).take();
  ca.revoke("cccccccc", "unspecified", kNow + 2h).take();

  Crl crl(ca.crl_pem(30, kNow + 3h).take());
  ASSERT_NE(crl.crl, nullptr);
  EXPECT_EQ(X509_CRL_get_version(crl.crl), X509_CRL_VERSION_2);
  EXPECT_EQ(
      X509_NAME_cmp(X509_CRL_get_issuer(crl.crl), X509_get_subject_name(ca.certificate().get())),
      0);
  EXPECT_EQ(X509_CRL_verify(crl.crl, X509_get0_pubkey(ca.certificate().get())), 1);
  EXPECT_EQ(to_time_point(X509_CRL_get0_lastUpdate(crl.crl)), kNow + 3h);
  EXPECT_EQ(to_time_point(X509_CRL_get0_nextUpdate(crl.crl)), kNow + 3h + 30 * 24h);
  EXPECT_EQ(crl.number(), 1);
  EXPECT_NE(X509_CRL_get_ext_by_NID(crl.crl, NID_authority_key_identifier, -1), -1);

  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.crl);
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 2);
  std::set<std::string> serials;
  for (int i = 0; i < 2; ++i) {
    X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
    const std::string serial = serial_hex(X509_REVOKED_get0_serialNumber(r));
    serials.insert(serial);
    auto* reason = static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr));
    if (serial == a.info.serial) {
      ASSERT_NE(reason, nullptr);
      EXPECT_EQ(ASN1_ENUMERATED_get(reason), CRL_REASON_KEY_COMPROMISE);
      EXPECT_EQ(to_time_point(X509_REVOKED_get0_revocationDate(r)), kNow + 1h);
    } else {
      EXPECT_EQ(reason, nullptr);  // "unspecified" is left out (RFC 5280 §5.3.1)
    }
    ASN1_ENUMERATED_free(reason);
  }
  EXPECT_EQ(serials, (std::set<std::string>{a.info.serial, c.info.serial}));
  EXPECT_EQ(serials.count(b.info.serial), 0u);

  // The number grows with every CRL.
  EXPECT_EQ(Crl(ca.crl_pem(30, kNow + 4h).take()).number(), 2);
}

TEST(Crl, NeedsTheUnlockedKey) {
  test_support::TempDir tmp;
  const std::string dir = (tmp.path() / "ca").string();
  Authority::init(dir, {}, "a long enough passphrase", kNow).take();
  auto ca = Authority::open(dir).take();
  EXPECT_FALSE(ca.crl_pem(30, kNow).ok());
  ASSERT_TRUE(ca.unlock("a long enough passphrase").ok());
  Crl crl(ca.crl_pem(30, kNow).take());
  ASSERT_NE(crl.crl, nullptr);
  // No revoked certificates: the list is left out altogether (RFC 5280 §5.1.2.6).
  EXPECT_EQ(X509_CRL_get_REVOKED(crl.crl), nullptr);
  EXPECT_EQ(X509_CRL_verify(crl.crl, X509_get0_pubkey(ca.certificate().get())), 1);
}

}  // namespace
}  // namespace iotfleet::pki
