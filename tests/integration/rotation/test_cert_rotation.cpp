// Certificate identities in the rotation protocol (issue 7, point 4), on the real PostgreSQL with
// the CA's index in it: the new credential is a new key and certificate, the old certificate is
// revoked when the device proves the new one, and a time-out puts the old one back and revokes
// the abandoned one. "Accepted" is what iot-serve checks: the serial in the device's row (and,
// while a rotation is unproven, the previous one).
#include <gtest/gtest.h>

#include <set>

#include "fleet/device_ca.hpp"
#include "pki/verify.hpp"
#include "rotation/exchange.hpp"
#include "rotation/manual.hpp"
#include "rotation_fixture.hpp"
#include "store/certificates.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {
namespace {

const char* kPassphrase = "a long enough CA passphrase";

struct CertRotationTest : RotationTest {
  TempDir tmp;
  pki::Authority ca;  // unlocked, its index in the test's database
  std::string key;
  fleet::IssuedCertificate first;

  CertRotationTest() : ca(make_ca()) {
    installer.issue_certificates_with(&ca, 30);
    fleet::DeviceSpec spec;
    spec.model_code = "m";
    spec.identity = "cert";
    fleet::IdentitySources ids{box};
    ids.ca = &ca;
    auto created = fleet::create_devices(session, spec, ids).take();
    key = created.at(0).key;
    first = *created.at(0).certificate;
  }

  pki::Authority make_ca() {
    const auto dir = (tmp.path() / "ca").string();
    pki::Authority::init(dir, {}, kPassphrase, clock.now()).take();
    // Its own connection, as in iot-provision: device creation issues inside its transaction.
    const std::string url = db.url();
    auto opened = fleet::open_device_ca(
                      core::Config([url](const std::string& name) -> std::optional<std::string> {
                        if (name == "DATABASE_URL") return url;
                        return std::nullopt;
                      }),
                      dir, std::string("database"))
                      .take();
    opened.unlock(kPassphrase).take();
    return opened;
  }

  std::string serial_of(const std::string& pem) {
    return pki::describe(pki::Certificate::from_pem(pem, "test").take()).serial;
  }
  std::set<std::string> accepted_serials() {
    std::set<std::string> out;
    for (const auto* c : {"certificate_serial", "previous_certificate_serial"})
      if (auto s = column(key, c); !s.empty()) out.insert(s);
    return out;
  }
  std::optional<pki::IndexEntry> indexed(const std::string& serial) {
    for (auto& e : ca.entries().take())
      if (e.serial == serial) return e;
    return std::nullopt;
  }
  void start_rotation() {
    ASSERT_TRUE(rotation::trigger_device(db.conn(), key, "test", clock.now(), true));
    ASSERT_EQ(run().started, 1);
    ASSERT_EQ(state(key), "PENDING");
  }
  rotation::CertificateCredential fetch() {
    auto issued = provisioning(key);
    EXPECT_TRUE(issued) << issued.error().message;
    auto cert = rotation::parse_certificate_credential(issued->secret);
    EXPECT_TRUE(cert.has_value());
    return *cert;
  }
  core::Result<bool> prove(const std::string& cert_pem) {
    rotation::Proof proof;
    proof.method = rotation::Proof::Method::certificate;
    proof.certificate_serial = serial_of(cert_pem);
    return rotation::complete_if_proven(db.conn(), installer, box, key, proof, clock.now());
  }
};

TEST_F(CertRotationTest, TheNewCertificateIsProvenAndTheOldOneRevoked) {
  const auto old_serial = serial_of(first.certificate_pem);
  ASSERT_EQ(accepted_serials(), std::set<std::string>{old_serial});
  start_rotation();
  // Issued when the attempt started, recorded in the database index, not yet accepted.
  EXPECT_EQ(accepted_serials(), std::set<std::string>{old_serial});
  EXPECT_EQ(ca.entries().take().size(), 2u);

  const auto fresh = fetch();
  const auto new_serial = serial_of(fresh.certificate);
  const auto cert = pki::Certificate::from_pem(fresh.certificate, "new").take();
  const auto info = pki::describe(cert);
  EXPECT_EQ(info.common_name, key);
  EXPECT_EQ(info.kind, pki::CertKind::device);
  EXPECT_TRUE(pki::verify(cert, ca, pki::Purpose::client, clock.now()).valid);
  EXPECT_TRUE(pki::PrivateKey::from_pem(fresh.key, std::nullopt, "new key").ok());
  EXPECT_EQ(accepted_serials(), (std::set<std::string>{old_serial, new_serial}))
      << "until the proof, both certificates work";

  const auto again = fetch();
  EXPECT_EQ(again.certificate, fresh.certificate) << "never another certificate";
  EXPECT_EQ(again.key, fresh.key);

  EXPECT_FALSE(prove(first.certificate_pem).value()) << "the old certificate proves nothing";
  EXPECT_EQ(state(key), "PENDING");
  EXPECT_TRUE(prove(fresh.certificate).value());
  EXPECT_EQ(state(key), "OK");
  EXPECT_EQ(accepted_serials(), std::set<std::string>{new_serial});
  EXPECT_EQ(column(key, "certificate"), fresh.certificate);
  EXPECT_EQ(column(key, "secret_sealed"), "") << "the private key leaves the database";
  EXPECT_EQ(column(key, "pending_secret"), "");

  const auto old_entry = indexed(old_serial);
  ASSERT_TRUE(old_entry);
  EXPECT_TRUE(old_entry->revoked());
  EXPECT_EQ(old_entry->revocation_reason.value_or(""), "superseded");
  EXPECT_FALSE(indexed(new_serial)->revoked());
  const auto old_cert = pki::Certificate::from_pem(first.certificate_pem, "old").take();
  const auto verdict = pki::verify(old_cert, ca, pki::Purpose::client, clock.now());
  EXPECT_FALSE(verdict.valid);
  EXPECT_NE(verdict.reason.find("revoked"), std::string::npos) << verdict.reason;
  // The CRL the broker reads lists it.
  const auto crl = ca.crl_pem(7, clock.now()).take();
  EXPECT_NE(crl.find("BEGIN X509 CRL"), std::string::npos);
}

TEST_F(CertRotationTest, ATimeOutPutsTheOldCertificateBackAndRevokesTheAbandonedOne) {
  const auto old_serial = serial_of(first.certificate_pem);
  start_rotation();
  const auto fresh = fetch();  // installed: the device holds both
  const auto new_serial = serial_of(fresh.certificate);
  clock.advance(settings.timeout.count() + 1);
  const auto summary = run();
  EXPECT_EQ(summary.timed_out, 1);
  EXPECT_EQ(summary.restored, 1);
  EXPECT_EQ(state(key), "TIMEOUT");
  EXPECT_EQ(accepted_serials(), std::set<std::string>{old_serial});
  EXPECT_EQ(column(key, "certificate"), first.certificate_pem);
  EXPECT_TRUE(indexed(new_serial)->revoked());
  EXPECT_FALSE(indexed(old_serial)->revoked());

  // The retry issues yet another certificate; the abandoned one is never handed out again.
  clock.advance(settings.backoff_base.count() + 1);
  ASSERT_EQ(run().started, 1);
  const auto retry = fetch();
  EXPECT_NE(serial_of(retry.certificate), new_serial);
  EXPECT_TRUE(prove(retry.certificate).value());
  EXPECT_TRUE(indexed(old_serial)->revoked());
}

TEST_F(CertRotationTest, AnAttemptNobodyFetchedLeavesTheDeviceAsItWas) {
  const auto old_serial = serial_of(first.certificate_pem);
  start_rotation();
  const auto entries = ca.entries().take();
  const auto pending_serial = entries.back().serial;
  clock.advance(settings.timeout.count() + 1);
  const auto summary = run();
  EXPECT_EQ(summary.timed_out, 1);
  EXPECT_EQ(summary.restored, 0);
  EXPECT_EQ(accepted_serials(), std::set<std::string>{old_serial});
  EXPECT_TRUE(indexed(pending_serial)->revoked());
}

// A crash at either step of the endpoint's side: the old certificate works throughout, and the
// next call (or the time-out) finishes the job.
TEST_F(CertRotationTest, ACrashAtEachEndpointStepKeepsAWorkingCertificate) {
  const auto old_serial = serial_of(first.certificate_pem);
  start_rotation();
  for (const char* step : {"installed_at_recorded", "credential_installed"}) {
    EXPECT_THROW(provisioning(key, [&](const char* at) {
                   if (std::string(at) == step) throw Crash{at};
                 }),
                 Crash);
    EXPECT_TRUE(accepted_serials().count(old_serial)) << "after a crash at " << step;
  }
  const auto fresh = fetch();
  EXPECT_TRUE(prove(fresh.certificate).value());
  EXPECT_EQ(accepted_serials(), std::set<std::string>{serial_of(fresh.certificate)});
}

TEST_F(CertRotationTest, WithoutTheCaCertificatesAreNeitherQueuedNorStarted) {
  installer.issue_certificates_with(nullptr, 30);
  EXPECT_EQ(rotation::trigger_fleet(db.conn(), "test", clock.now(), installer.rotates("cert")).value(), 0);
  const auto refused = rotation::trigger_device(db.conn(), key, "test", clock.now(), false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("needs the device CA"), std::string::npos);
  // Queued while a CA was configured, then run without one: a problem, and nothing started.
  ASSERT_TRUE(rotation::trigger_device(db.conn(), key, "test", clock.now(), true));
  const auto summary = run();
  EXPECT_EQ(summary.started, 0);
  ASSERT_EQ(summary.problems.size(), 1u);
  EXPECT_NE(summary.problems[0].find("IOT_CA_DIR"), std::string::npos) << summary.problems[0];
  EXPECT_EQ(state(key), "QUEUED");
}

}  // namespace
}  // namespace iotfleet::test_support
