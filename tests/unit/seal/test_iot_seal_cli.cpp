// The iot-seal executable as a user runs it: stdin/stdout, several documents, --raw,
// --recovery-unseal, --validate, --fetch-cert from a local HTTP server, plan apply/check.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "seal/document.hpp"
#include "seal/stream.hpp"
#include "seal_fixtures.hpp"
#include "test_support/process.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::seal {
namespace {

namespace fs = std::filesystem;
using seal_test::fixture;
using test_support::bin;
using test_support::run;
using test_support::RunOptions;

const std::string kCert = (seal_test::kDir / "controller.crt").string();
const std::string kKey = (seal_test::kDir / "controller.key").string();

test_support::RunResult seal(const std::vector<std::string>& args, const std::string& input = "") {
  RunOptions options;
  options.stdin_data = input;
  options.unset = {"SEALED_SECRETS_CERT", "SEALED_SECRETS_SCOPE", "SEALED_SECRETS_FORMAT",
                   "SEALED_SECRETS_CONTROLLER_URL", "IOT_SEAL_STATE_DIR"};
  return run(bin("iot-seal"), args, options);
}

TEST(IotSealCli, SealsAStreamOfSecretsFromStdin) {
  const std::string two =
      fixture("secret.yaml") +
      "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: postgres}\n"
      "stringData: {password: s3cret}\n";
  auto r = seal({"--cert", kCert, "-o", "yaml"}, two);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"))
      << r.out;
  EXPECT_EQ(r.err, "");
  const auto keys = seal_test::controller_keys();
  auto v = validate_stream(r.out, "out", keys);
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[1].name, "db");

  // kubeseal's default output is JSON.
  auto json = seal({"--cert", kCert}, fixture("secret.yaml"));
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(json.out.starts_with(
      "{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\": \"bitnami.com/v1alpha1\""))
      << json.out;
}

TEST(IotSealCli, FilesInAndOutAndScopeFromTheEnvironment) {
  test_support::TempDir dir;
  const std::string out = (dir.path() / "sealed.yaml").string();
  RunOptions options;
  options.env = {{"SEALED_SECRETS_CERT", kCert}, {"SEALED_SECRETS_SCOPE", "namespace-wide"}};
  const auto r = run(
      bin("iot-seal"),
      {"-f", (seal_test::kDir / "secret.yaml").string(), "-w", out, "--format", "yaml"}, options);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  std::ifstream in(out);
  const std::string written(std::istreambuf_iterator<char>(in), {});
  auto sealed = parse_sealed_secrets(written, out);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_EQ(sealed->front().scope(), Scope::namespace_wide);
}

TEST(IotSealCli, RawValueForANamedSecret) {
  test_support::TempDir dir;
  std::ofstream(dir.path() / "value") << "bar";
  auto r = seal({"--raw", "--cert", kCert, "--namespace", "os2iot-backend", "--name", "ca-keys",
                 "--from-file", (dir.path() / "value").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\n'), std::string::npos);  // like kubeseal: no newline
  const auto bytes = core::base64_decode(r.out);
  ASSERT_TRUE(bytes);
  const auto keys = seal_test::controller_keys();
  EXPECT_EQ(seal_test::text(*hybrid_decrypt(keys, *bytes, "os2iot-backend/ca-keys")), "bar");
  EXPECT_FALSE(hybrid_decrypt(keys, *bytes, "os2iot-backend"));

  auto from_stdin = seal({"--raw", "--cert", kCert, "--scope", "cluster-wide"}, "piped");
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(seal_test::text(*hybrid_decrypt(keys, *core::base64_decode(from_stdin.out), "")),
            "piped");

  auto missing = seal({"--raw", "--cert", kCert, "--namespace", "ns"}, "x");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("needs --name"), std::string::npos) << missing.err;
}

TEST(IotSealCli, RecoveryUnsealAndValidate) {
  auto sealed = seal({"--cert", kCert, "-o", "yaml"}, fixture("secret.yaml"));
  ASSERT_EQ(sealed.exit_code, 0);
  auto unsealed =
      seal({"--recovery-unseal", "--recovery-private-key", kKey, "-o", "yaml"}, sealed.out);
  ASSERT_EQ(unsealed.exit_code, 0) << unsealed.err;
  auto back = parse_secrets(unsealed.out, "out");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->front().data, parse_secrets(fixture("secret.yaml"), "in").value().front().data);

  auto ok =
      seal({"--validate", "--recovery-private-key", kKey}, fixture("expected-sealedsecret.yaml"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "ok os2iot-backend/ca-keys (3 values)\n");

  // Moved to another namespace: the label no longer matches.
  std::string moved = fixture("expected-sealedsecret.yaml");
  for (std::size_t at; (at = moved.find("namespace: os2iot-backend")) != std::string::npos;)
    moved.replace(at, 25, "namespace: other");
  auto bad = seal({"--validate", "--recovery-private-key", kKey}, moved);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("1 of 1 SealedSecrets do not decrypt"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("other/ca-keys: cannot decrypt ca.crt, ca.der, password"),
            std::string::npos)
      << bad.err;

  auto no_key = seal({"--validate"}, fixture("expected-sealedsecret.yaml"));
  EXPECT_EQ(no_key.exit_code, 2);
  EXPECT_NE(no_key.err.find("--recovery-private-key"), std::string::npos);
}

TEST(IotSealCli, UsageAndBadInput) {
  auto help = seal({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("SEALED_SECRETS_CERT"), std::string::npos);

  auto no_cert = seal({}, fixture("secret.yaml"));
  EXPECT_EQ(no_cert.exit_code, 2);
  EXPECT_NE(no_cert.err.find("--cert"), std::string::npos) << no_cert.err;
  EXPECT_NE(no_cert.err.find("SEALED_SECRETS_CERT"), std::string::npos) << no_cert.err;

  auto scope = seal({"--cert", kCert, "--scope", "global"}, fixture("secret.yaml"));
  EXPECT_EQ(scope.exit_code, 2);
  EXPECT_NE(scope.err.find("see 'iot-seal --help'"), std::string::npos) << scope.err;

  auto both = seal({"--raw", "--validate"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;

  auto typo = seal({"plna", "apply"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("did you mean 'plan'"), std::string::npos) << typo.err;

  // Bad documents: a clear message naming the document, nothing on stdout, exit 1 (DESIGN.md).
  auto cm = seal({"--cert", kCert}, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n");
  EXPECT_EQ(cm.exit_code, 1);
  EXPECT_EQ(cm.out, "");
  EXPECT_EQ(cm.err, "iot-seal: error: <stdin>: document 1 (cm): is a ConfigMap, not a Secret\n");
  auto garbage = seal({"--cert", kCert}, "{{{");
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_NE(garbage.err.find("not valid YAML or JSON"), std::string::npos) << garbage.err;
  auto second_bad =
      seal({"--cert", kCert, "-o", "yaml"},
           fixture("secret.yaml") + "---\nkind: Secret\nmetadata: {name: x}\nstringData: {a: b}\n");
  EXPECT_EQ(second_bad.exit_code, 1);
  EXPECT_EQ(second_bad.out, "");  // nothing is printed unless every Secret sealed
  EXPECT_NE(second_bad.err.find("document 2: Secret x has no metadata.namespace"),
            std::string::npos)
      << second_bad.err;

  const auto not_rsa_cert = [&] {
    test_support::TempDir dir;
    auto secret = parse_secrets(fixture("secret.yaml"), "s").value().front();
    std::ofstream(dir.path() / "ec.crt", std::ios::binary)
        << seal_test::text(secret.data.at("ca.crt"));
    return seal({"--cert", (dir.path() / "ec.crt").string()}, fixture("secret.yaml"));
  }();
  EXPECT_EQ(not_rsa_cert.exit_code, 1);
  EXPECT_NE(not_rsa_cert.err.find("expected an RSA public key"), std::string::npos)
      << not_rsa_cert.err;
}

// An independent implementation opens what iot-seal writes: Python's `cryptography` (Debian's
// python3-cryptography) doing RSA-OAEP SHA-256 with the label, then AES-GCM with a zero nonce.
TEST(IotSealCli, PythonCryptographyOpensWhatWeSeal) {
  test_support::TempDir dir;
  const std::string out = (dir.path() / "sealed.json").string();
  const auto r =
      seal({"--cert", kCert, "--scope", "namespace-wide", "-w", out}, fixture("secret.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script = R"(
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
doc = json.load(open(sys.argv[1]))
key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
label = doc['metadata']['namespace'].encode()
for name, value in sorted(doc['spec']['encryptedData'].items()):
    b = base64.b64decode(value)
    n = int.from_bytes(b[:2], 'big')
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)
    plain = AESGCM(key.decrypt(b[2:2 + n], oaep)).decrypt(bytes(12), b[2 + n:], None)
    print(name, base64.b64encode(plain).decode())
)";
  const auto py = run("/usr/bin/python3", {"-c", script, out, kKey});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  std::string expected;
  const auto secrets = parse_secrets(fixture("secret.yaml"), "s").value();
  for (const auto& [key, value] : secrets.front().data)
    expected += key + " " + core::base64_encode(value) + "\n";
  EXPECT_EQ(py.out, expected);
}

// A tiny HTTP server (Debian's python3) serving a folder on a free loopback port.
class HttpServer {
 public:
  explicit HttpServer(const fs::path& root) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::close(s);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/usr/bin/python3", "python3", "-m", "http.server", std::to_string(port_).c_str(),
              "--bind", "127.0.0.1", "--directory", root.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // up to 10 s for the interpreter to start listening
      const int c = ::socket(AF_INET, SOCK_STREAM, 0);
      const bool up = ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(c);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "python3 -m http.server did not start on port " << port_;
  }
  ~HttpServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(IotSealCli, FetchCertFromTheController) {
  test_support::TempDir dir;
  fs::create_directories(dir.path() / "v1");
  fs::copy_file(kCert, dir.path() / "v1" / "cert.pem");
  HttpServer server(dir.path());

  auto r = seal({"--fetch-cert", "--controller-url", server.url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, fixture("controller.crt"));

  // --cert accepts the URL directly, as kubeseal does.
  auto sealed =
      seal({"--cert", server.url() + "/v1/cert.pem", "-o", "yaml"}, fixture("secret.yaml"));
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  EXPECT_TRUE(validate_stream(sealed.out, "out", seal_test::controller_keys()).ok());

  auto missing = seal({"--fetch-cert", "--controller-url", server.url() + "/nowhere"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("HTTP 404"), std::string::npos) << missing.err;
}

TEST(IotSealCli, FetchCertWithNothingListening) {
  auto r = seal({"--fetch-cert", "--controller-url", "http://127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 5);  // unavailable: retry is safe
  EXPECT_NE(r.err.find("cannot fetch http://127.0.0.1:1/v1/cert.pem"), std::string::npos) << r.err;
}

TEST(IotSealCli, PlanApplyThenCheck) {
  test_support::TempDir dir;
  std::ofstream(dir.path() / "plan.yaml")
      << "kind: SecretsPlan\ncert: " << kCert
      << "\nsecrets:\n  - name: db\n    namespaces: [postgres, app]\n"
         "    keys:\n      username: app\n      password: {generate: {length: 24}}\n";
  const std::string plan = (dir.path() / "plan.yaml").string();
  auto stale = seal({"plan", "check", plan});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.out.find("would create  sealed/postgres/db.yaml  (postgres/db)"),
            std::string::npos)
      << stale.out;

  auto first = seal({"plan", "apply", plan});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("2 sealed files: 2 written, 0 unchanged; 1 values generated"),
            std::string::npos)
      << first.out;
  auto second = seal({"plan", "apply", plan});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("2 sealed files: 0 written, 2 unchanged; 0 values generated"),
            std::string::npos)
      << second.out;
  auto check = seal({"plan", "check", plan});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  auto help = seal({"plan", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("hunter2"), std::string::npos);
  auto no_plan = seal({"plan", "apply", (dir.path() / "nope.yaml").string()});
  EXPECT_EQ(no_plan.exit_code, 2);
}

}  // namespace
}  // namespace iotfleet::seal
