// iot-cert as an operator runs it, and `openssl verify` / `openssl x509 -text` as the referee:
// on every kind of certificate both must reach the same verdict for the same reason, and the
// extensions openssl reads must be the ones the issue asks for.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cert_fixture.hpp"
#include "core/files.hpp"
#include "test_support/database.hpp"

namespace iotfleet::test_support {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

RunOptions env_with(const std::string& name, const std::string& value) {
  RunOptions options;
  options.env[name] = value;
  return options;
}

unsigned mode_of(const std::string& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "serial=0ABC\n" -> "abc"
std::string openssl_field(const std::string& out, const std::string& prefix) {
  auto v = out.substr(out.find(prefix) + prefix.size());
  return v.substr(0, v.find('\n'));
}

class IotCert : public CertTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(cert({"ca", "init", "--out", "ca", "--cn", "Fleet Test CA"}).exit_code, 0);
    ASSERT_EQ(cert({"issue", "server", "--ca", "ca", "--cn", "localhost", "--san", "DNS:localhost",
                    "--san", "IP:127.0.0.1", "--out", "srv"})
                  .exit_code,
              0);
    ASSERT_EQ(cert({"issue", "device", "k3x9a2b1", "--ca", "ca", "--out", "dev"}).exit_code, 0);
  }
};

TEST_F(IotCert, FilesHaveTheirModesAndTheCaKeyIsEncrypted) {
  EXPECT_EQ(mode_of(path("ca/ca.key")), 0600u);
  EXPECT_EQ(mode_of(path("ca/ca.crt")), 0644u);
  EXPECT_EQ(mode_of(path("srv/server.key")), 0600u);
  EXPECT_EQ(mode_of(path("srv/server.crt")), 0644u);
  EXPECT_EQ(mode_of(path("dev/k3x9a2b1.key")), 0600u);
  EXPECT_EQ(mode_of(path("dev/k3x9a2b1.crt")), 0644u);
  EXPECT_EQ(mode_of(path("dev/ca.crt")), 0644u);
  // openssl agrees the key is PKCS#8 with PBES2/AES-256-CBC, and opens only with the passphrase.
  const auto parsed = openssl({"asn1parse", "-in", "ca/ca.key"});
  EXPECT_TRUE(contains(parsed.out, ":PBES2") && contains(parsed.out, ":aes-256-cbc")) << parsed.out;
  EXPECT_EQ(openssl({"pkey", "-in", "ca/ca.key", "-noout", "-passin",
                     std::string("pass:") + kTestCaPassphrase})
                .exit_code,
            0);
  EXPECT_NE(openssl({"pkey", "-in", "ca/ca.key", "-noout", "-passin", "pass:wrong"}).exit_code, 0);
}

TEST_F(IotCert, OpensslReadsTheExtensionsOfEveryKind) {
  const auto ca = openssl({"x509", "-in", "ca/ca.crt", "-noout", "-text"}).out;
  EXPECT_TRUE(contains(ca, "X509v3 Basic Constraints: critical\n                CA:TRUE")) << ca;
  EXPECT_TRUE(
      contains(ca, "X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign"));
  EXPECT_TRUE(contains(ca, "X509v3 Subject Key Identifier"));
  EXPECT_TRUE(contains(ca, "Subject: CN = Fleet Test CA"));

  const auto srv = openssl({"x509", "-in", "srv/server.crt", "-noout", "-text"}).out;
  EXPECT_TRUE(contains(srv, "CA:FALSE"));
  EXPECT_TRUE(contains(srv, "X509v3 Key Usage: critical\n                Digital Signature\n"))
      << srv;
  EXPECT_TRUE(contains(
      srv, "X509v3 Extended Key Usage: \n                TLS Web Server Authentication\n"));
  EXPECT_TRUE(contains(srv, "DNS:localhost, IP Address:127.0.0.1"));
  EXPECT_TRUE(contains(srv, "X509v3 Authority Key Identifier"));
  EXPECT_TRUE(contains(srv, "Public-Key: (256 bit)") && contains(srv, "NIST CURVE: P-256"));

  const auto dev = openssl({"x509", "-in", "dev/k3x9a2b1.crt", "-noout", "-text"}).out;
  EXPECT_TRUE(contains(dev, "Subject: CN = k3x9a2b1"));
  EXPECT_TRUE(
      contains(dev, "X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n"))
      << dev;
  EXPECT_FALSE(contains(dev, "Subject Alternative Name"));
  EXPECT_TRUE(contains(dev, "Signature Algorithm: ecdsa-with-SHA256"));
}

TEST_F(IotCert, RsaServerKeysAlsoAllowKeyEncipherment) {
  ASSERT_EQ(cert({"issue", "server", "--ca", "ca", "--cn", "broker.example", "--key-type",
                  "rsa-2048", "--out", "rsa"})
                .exit_code,
            0);
  const auto text = openssl({"x509", "-in", "rsa/server.crt", "-noout", "-text"}).out;
  EXPECT_TRUE(contains(text, "Digital Signature, Key Encipherment"));
  EXPECT_TRUE(contains(text, "Public-Key: (2048 bit)"));
  EXPECT_TRUE(contains(text, "DNS:broker.example"));  // the CN becomes the SAN when none is given
}

struct Case {
  std::string name, cert, purpose, openssl_purpose;
  bool valid;
  std::string reason;
};

TEST_F(IotCert, OpensslVerifyAndIotCertVerifyAgreeOnEveryKind) {
  // The other cases: expired, revoked, foreign CA, wrong purpose.
  issue_expired_device("ca", "expired1", "exp");
  ASSERT_EQ(cert({"issue", "device", "revoked1", "--ca", "ca", "--out", "rev"}).exit_code, 0);
  ASSERT_EQ(cert({"revoke", "revoked1", "--ca", "ca", "--reason", "keyCompromise"}).exit_code, 0);
  ASSERT_EQ(cert({"crl", "--ca", "ca", "-o", "crl.pem"}).exit_code, 0);
  ASSERT_EQ(cert({"ca", "init", "--out", "other"}).exit_code, 0);
  ASSERT_EQ(cert({"issue", "device", "foreign1", "--ca", "other", "--out", "foreign"}).exit_code,
            0);

  const std::vector<Case> cases = {
      {"ca", "ca/ca.crt", "auto", "", true, ""},
      {"server", "srv/server.crt", "auto", "sslserver", true, ""},
      {"device", "dev/k3x9a2b1.crt", "auto", "sslclient", true, ""},
      {"expired", "exp/expired1.crt", "auto", "sslclient", false, "certificate has expired"},
      {"revoked", "rev/revoked1.crt", "auto", "sslclient", false, "certificate revoked"},
      {"foreign CA", "foreign/foreign1.crt", "auto", "sslclient", false,
       "unable to get local issuer certificate"},
      {"server as client", "srv/server.crt", "client", "sslclient", false,
       "unsuitable certificate purpose"},
      {"device as server", "dev/k3x9a2b1.crt", "server", "sslserver", false,
       "unsuitable certificate purpose"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"verify",     "-CAfile",  "ca/ca.crt",
                                     "-crl_check", "-CRLfile", "crl.pem"};
    if (!c.openssl_purpose.empty()) {
      args.push_back("-purpose");
      args.push_back(c.openssl_purpose);
    }
    args.push_back(c.cert);
    const auto theirs = openssl(args);
    const auto ours =
        cert({"verify", c.cert, "--ca", "ca", "--purpose", c.purpose, "--output", "json"});
    EXPECT_EQ(theirs.exit_code == 0, c.valid) << theirs.out << theirs.err;
    EXPECT_EQ(ours.exit_code == 0, c.valid) << ours.out << ours.err;
    const auto j = nlohmann::json::parse(ours.out);
    EXPECT_EQ(j["valid"], c.valid);
    if (!c.valid) {
      EXPECT_EQ(ours.exit_code, 1);
      EXPECT_EQ(j["reason"], c.reason);
      EXPECT_TRUE(contains(theirs.out + theirs.err, "lookup: " + c.reason))
          << theirs.out << theirs.err;
    }
    // The same serial, expiry and fingerprint as openssl reads them.
    const auto fields = openssl({"x509", "-in", c.cert, "-noout", "-serial", "-enddate", "-dateopt",
                                 "iso_8601", "-fingerprint", "-sha256"});
    std::string serial = lower(openssl_field(fields.out, "serial="));
    serial.erase(0, std::min(serial.find_first_not_of('0'), serial.size() - 1));
    EXPECT_EQ(j["serial"], serial);
    std::string not_after = openssl_field(fields.out, "notAfter=");
    std::replace(not_after.begin(), not_after.end(), ' ', 'T');
    EXPECT_EQ(j["not_after"], not_after);
    std::string fingerprint = lower(openssl_field(fields.out, "Fingerprint="));
    fingerprint.erase(std::remove(fingerprint.begin(), fingerprint.end(), ':'), fingerprint.end());
    EXPECT_EQ(j["sha256"], fingerprint);
  }
}

TEST_F(IotCert, RefusesToOverwriteTheCaOrAKey) {
  const auto before = core::read_file(path("ca/ca.key"), 1 << 16).take();
  const auto again = cert({"ca", "init", "--out", "ca"});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_TRUE(contains(again.err, "already holds a CA")) << again.err;
  EXPECT_EQ(core::read_file(path("ca/ca.key"), 1 << 16).take(), before);

  const auto key_before = core::read_file(path("dev/k3x9a2b1.key"), 1 << 16).take();
  const auto dup = cert({"issue", "device", "k3x9a2b1", "--ca", "ca", "--out", "dev"});
  EXPECT_EQ(dup.exit_code, 4);
  EXPECT_TRUE(contains(dup.err, "dev/k3x9a2b1.key already exists")) << dup.err;
  EXPECT_EQ(core::read_file(path("dev/k3x9a2b1.key"), 1 << 16).take(), key_before);
  // The refusal came before issuing: the index still has one device certificate.
  EXPECT_EQ(cert_json({"list", "--ca", "ca", "--kind", "device"}).size(), 1u);
}

TEST_F(IotCert, PassphraseComesFromTheEnvironmentOrAFileNeverAFlag) {
  RunOptions no_env;
  no_env.env["IOT_CA_PASSPHRASE"] = "";
  const auto missing = cert({"issue", "device", "aaaaaaaa", "--ca", "ca", "--out", "x"}, no_env);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(contains(missing.err, "IOT_CA_PASSPHRASE") &&
              contains(missing.err, "--passphrase-file"))
      << missing.err;

  const auto wrong = cert({"issue", "device", "aaaaaaaa", "--ca", "ca", "--out", "x"},
                          env_with("IOT_CA_PASSPHRASE", "not the passphrase"));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_TRUE(contains(wrong.err, "wrong passphrase")) << wrong.err;
  EXPECT_FALSE(std::filesystem::exists(path("x/aaaaaaaa.key")));

  std::ofstream(path("pass")) << kTestCaPassphrase << "\n";
  EXPECT_EQ(
      cert({"issue", "device", "aaaaaaaa", "--ca", "ca", "--out", "x", "--passphrase-file", "pass"},
           no_env)
          .exit_code,
      0);
  EXPECT_EQ(cert({"ca", "init", "--out", "y", "--passphrase", "x"}).exit_code, 2);
}

TEST_F(IotCert, ListReportsExpiryAndRevokeFindsBySerialOrKey) {
  issue_expired_device("ca", "expired1", "exp");
  ASSERT_EQ(
      cert({"issue", "device", "short001", "--ca", "ca", "--days", "10", "--out", "s"}).exit_code,
      0);

  auto soon = cert_json({"list", "--ca", "ca", "--expiring-within", "30d"});
  std::vector<std::string> names;
  for (const auto& e : soon) names.push_back(e["common_name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"expired1", "short001"}));
  EXPECT_EQ(soon[0]["status"], "expired");
  EXPECT_EQ(soon[1]["status"], "valid");
  EXPECT_EQ(cert_json({"list", "--ca", "ca"}).size(), 4u);

  const auto dev = cert_json({"verify", "dev/k3x9a2b1.crt", "--ca", "ca"});
  // openssl's spelling of the serial (upper case, colons) is accepted.
  const auto openssl_serial = openssl_field(
      openssl({"x509", "-in", "dev/k3x9a2b1.crt", "-noout", "-serial"}).out, "serial=");
  EXPECT_EQ(cert({"revoke", openssl_serial, "--ca", "ca"}).exit_code, 0);
  EXPECT_EQ(cert({"revoke", "k3x9a2b1", "--ca", "ca"}).exit_code, 4);
  EXPECT_EQ(cert({"revoke", "nosuchdv", "--ca", "ca"}).exit_code, 3);
  EXPECT_EQ(cert({"revoke", "short001", "--ca", "ca", "--reason", "bored"}).exit_code, 2);
  const auto list = cert({"list", "--ca", "ca", "--include-revoked"});
  // The table row of the revoked certificate (columns are padded to the widest serial).
  std::istringstream rows(list.out);
  bool found = false;
  for (std::string row; std::getline(rows, row);)
    found |= row.starts_with(dev["serial"].get<std::string>() + " ") && contains(row, " device ") &&
             contains(row, " k3x9a2b1 ") && row.ends_with("revoked");
  EXPECT_TRUE(found) << list.out;
  EXPECT_TRUE(contains(list.out, "revoked"));
  EXPECT_FALSE(contains(cert({"list", "--ca", "ca"}).out, "k3x9a2b1"));
}

TEST_F(IotCert, ImportsAnOpensslMadeCaWithATraditionalEncryptedKey) {
  // A CA made the way install scripts make one: an RSA key with OpenSSL's legacy PEM encryption.
  ASSERT_EQ(openssl({"genrsa", "-aes256", "-traditional", "-passout", "pass:os2iot-ca-pw", "-out",
                     "os2iot.key", "2048"})
                .exit_code,
            0);
  ASSERT_EQ(openssl({"req", "-x509", "-new", "-key", "os2iot.key", "-passin", "pass:os2iot-ca-pw",
                     "-subj", "/CN=OS2IoT-Device-CA", "-days", "30", "-out", "os2iot.crt"})
                .exit_code,
            0);
  ASSERT_TRUE(
      contains(core::read_file(path("os2iot.key"), 1 << 16).take(), "Proc-Type: 4,ENCRYPTED"));

  const auto wrong =
      cert({"import-ca", "--cert", "os2iot.crt", "--key", "os2iot.key", "--out", "imp"},
           env_with("IOT_CA_IMPORT_PASSPHRASE", "nope"));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(path("imp/ca.key")));

  std::ofstream(path("os2iot.pass")) << "os2iot-ca-pw\n";
  ASSERT_EQ(cert({"import-ca", "--cert", "os2iot.crt", "--key", "os2iot.key", "--out", "imp",
                  "--key-passphrase-file", "os2iot.pass"})
                .exit_code,
            0);
  EXPECT_TRUE(core::read_file(path("imp/ca.key"), 1 << 16)
                  .take()
                  .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  EXPECT_EQ(mode_of(path("imp/ca.key")), 0600u);
  ASSERT_EQ(cert({"issue", "device", "os2iot01", "--ca", "imp", "--out", "o"}).exit_code, 0);
  EXPECT_EQ(openssl({"verify", "-CAfile", "os2iot.crt", "-purpose", "sslclient", "o/os2iot01.crt"})
                .exit_code,
            0);
  // A leaf certificate cannot be imported as a CA.
  const auto leaf = cert(
      {"import-ca", "--cert", "dev/k3x9a2b1.crt", "--key", "dev/k3x9a2b1.key", "--out", "bad"});
  EXPECT_EQ(leaf.exit_code, 1);
  EXPECT_TRUE(contains(leaf.err, "not a CA certificate")) << leaf.err;
}

TEST_F(IotCert, UsageMistakesAreExit2WithAHint) {
  auto r = cert({"issue", "devic", "k3x9a2b1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "did you mean 'device'")) << r.err;
  r = cert({"issue", "device", "NOT_A_KEY", "--ca", "ca", "--out", "z"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "not a device key")) << r.err;
  r = cert({"issue", "server", "--ca", "ca", "--cn", "x", "--san", "host.example", "--out", "z"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "DNS:<name> or IP:<address>")) << r.err;
  r = cert({"list"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "--ca") && contains(r.err, "IOT_CA_DIR")) << r.err;
  r = cert({"list", "--ca", "nowhere"});
  EXPECT_EQ(r.exit_code, 3);
  r = cert({"ca", "init", "--out", "k", "--key-type", "dsa"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace iotfleet::test_support

namespace iotfleet::test_support {
namespace {

class CrlNumbers : public CertTest {};

TEST_F(CrlNumbers, ConcurrentCrlRunsNeverShareANumber) {
  ASSERT_EQ(cert({"ca", "init", "--out", "ca"}).exit_code, 0);
  constexpr int kRuns = 6;
  std::vector<std::thread> runs;
  std::vector<int> codes(kRuns, -1);
  for (int i = 0; i < kRuns; ++i)
    runs.emplace_back([&, i] {
      codes[i] = cert({"crl", "--ca", "ca", "-o", "crl" + std::to_string(i) + ".pem"}).exit_code;
    });
  for (auto& t : runs) t.join();
  std::set<std::string> numbers;
  for (int i = 0; i < kRuns; ++i) {
    ASSERT_EQ(codes[i], 0) << "run " << i;
    const auto shown =
        openssl({"crl", "-noout", "-crlnumber", "-in", "crl" + std::to_string(i) + ".pem"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    numbers.insert(shown.out);
  }
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kRuns));
  EXPECT_EQ(core::read_file(path("ca/crlnumber"), 64).take(), std::to_string(kRuns) + "\n");
}

}  // namespace
}  // namespace iotfleet::test_support

namespace iotfleet::test_support {
namespace {

class Adopt : public CertTest {};

TEST_F(Adopt, CertificatesOfAnImportedCaJoinItsIndexAndCanBeRevoked) {
  ASSERT_EQ(cert({"ca", "init", "--out", "old"}).exit_code, 0);
  ASSERT_EQ(cert({"issue", "device", "abcd1234", "--ca", "old", "--out", "issued"}).exit_code, 0);
  ASSERT_EQ(cert({"ca", "init", "--out", "foreign"}).exit_code, 0);
  ASSERT_EQ(cert({"issue", "device", "zzzz9999", "--ca", "foreign", "--out", "other"}).exit_code, 0);
  ASSERT_EQ(cert({"import-ca", "--cert", "old/ca.crt", "--key", "old/ca.key", "--out", "new"}).exit_code, 0);
  EXPECT_EQ(cert_json({"list", "--ca", "new"}).size(), 0u);  // the old CA's history stayed behind

  const auto adopted = cert_json({"adopt", "issued/abcd1234.crt", "--ca", "new"});
  ASSERT_EQ(adopted.size(), 1u);
  EXPECT_EQ(adopted[0]["outcome"], "adopted");
  const auto listed = cert_json({"list", "--ca", "new"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["device_key"], "abcd1234");

  // Again: already known, nothing added. A foreign certificate is refused, exit 1.
  const auto again = cert({"adopt", "issued/abcd1234.crt", "other/zzzz9999.crt", "--ca", "new",
                           "--output", "json"});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  const auto rows = nlohmann::json::parse(again.out);
  EXPECT_EQ(rows[0]["outcome"], "already known");
  EXPECT_NE(rows[1]["outcome"].get<std::string>().find("not signed by this CA"), std::string::npos);
  EXPECT_EQ(cert_json({"list", "--ca", "new"}).size(), 1u);

  // Now the take-over CA can revoke it, and its CRL lists it.
  ASSERT_EQ(cert({"revoke", "abcd1234", "--ca", "new"}).exit_code, 0);
  ASSERT_EQ(cert({"crl", "--ca", "new", "-o", "new.crl"}).exit_code, 0);
  const auto v = openssl({"verify", "-crl_check", "-CAfile", "new/ca.crt", "-CRLfile", "new.crl",
                          "issued/abcd1234.crt"});
  EXPECT_NE(v.exit_code, 0);
  EXPECT_NE((v.out + v.err).find("revoked"), std::string::npos) << v.out << v.err;
}

}  // namespace
}  // namespace iotfleet::test_support

namespace iotfleet::test_support {
namespace {

// IOT_CA_INDEX=database: `index import` takes over what index.jsonl and crlnumber knew, safely
// twice, and every command then reads and writes PostgreSQL instead of the files.
class CaIndexInDatabase : public CertTest {
 protected:
  RunResult cert_db(std::vector<std::string> args) const {
    RunOptions options;
    options.env = {{"DATABASE_URL", db.url()}, {"IOT_CA_INDEX", "database"}};
    return cert(args, options);
  }
  nlohmann::json json_of(const RunResult& r) const {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  mutable TestDatabase db;
};

TEST_F(CaIndexInDatabase, ImportCarriesIssuesRevocationsAndTheCrlNumber) {
  ASSERT_EQ(cert({"ca", "init", "--out", "ca"}).exit_code, 0);
  for (const char* key : {"aaaa1111", "bbbb2222", "cccc3333"})
    ASSERT_EQ(cert({"issue", "device", key, "--ca", "ca", "--out", "d"}).exit_code, 0);
  ASSERT_EQ(cert({"revoke", "bbbb2222", "--ca", "ca"}).exit_code, 0);
  ASSERT_EQ(cert({"crl", "--ca", "ca", "-o", "one.crl"}).exit_code, 0);
  ASSERT_EQ(cert({"crl", "--ca", "ca", "-o", "two.crl"}).exit_code, 0);
  const auto before = cert_json({"list", "--ca", "ca", "--include-revoked"});

  EXPECT_EQ(json_of(cert_db({"list", "--ca", "ca", "--output", "json"})).size(), 0u)
      << "the database index starts empty";
  const auto first = json_of(cert_db({"index", "import", "--ca", "ca", "--output", "json"}));
  EXPECT_EQ(first["added"], 3);
  EXPECT_EQ(first["revoked"], 1);
  EXPECT_EQ(first["crl_number"], 2);
  const auto again = json_of(cert_db({"index", "import", "--ca", "ca", "--output", "json"}));
  EXPECT_EQ(again["added"], 0);
  EXPECT_EQ(again["unchanged"], 3);

  const auto after =
      json_of(cert_db({"list", "--ca", "ca", "--include-revoked", "--output", "json"}));
  EXPECT_EQ(after, before) << "the same certificates, the same states";

  // New work goes to the database only; the files stay as they were.
  const auto index_file = core::read_file(path("ca/index.jsonl"), 1 << 20).take();
  ASSERT_EQ(cert_db({"issue", "device", "dddd4444", "--ca", "ca", "--out", "d"}).exit_code, 0);
  ASSERT_EQ(cert_db({"revoke", "cccc3333", "--ca", "ca"}).exit_code, 0);
  ASSERT_EQ(cert_db({"crl", "--ca", "ca", "-o", "three.crl"}).exit_code, 0);
  EXPECT_EQ(core::read_file(path("ca/index.jsonl"), 1 << 20).take(), index_file);
  EXPECT_EQ(json_of(cert_db({"list", "--ca", "ca", "--output", "json"})).size(), 2u);
  const auto number = openssl({"crl", "-noout", "-crlnumber", "-in", "three.crl"});
  EXPECT_EQ(number.out, "crlNumber=0x03\n") << "never below the file's number";
  const auto listed = openssl({"crl", "-noout", "-text", "-in", "three.crl"}).out;
  std::size_t serials = 0;
  for (auto at = listed.find("Serial Number:"); at != std::string::npos;
       at = listed.find("Serial Number:", at + 1))
    ++serials;
  EXPECT_EQ(serials, 2u) << "the imported revocation and the new one\n" << listed;

  const auto refused = cert({"list", "--ca", "ca", "--ca-index", "sql"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(contains(refused.err, "--ca-index")) << refused.err;
}

}  // namespace
}  // namespace iotfleet::test_support
