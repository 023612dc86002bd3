// lib/seal/plan: parsing, placeholders, and idempotent apply (a second run changes nothing).
#include "seal/plan.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "seal/stream.hpp"
#include "seal_fixtures.hpp"
#include "test_support/temp_dir.hpp"

namespace iotfleet::seal {
namespace {

namespace fs = std::filesystem;
using seal_test::text;

const char* kPlan = R"(kind: SecretsPlan
secrets:
  - name: postgres-cluster-os2iot
    namespaces: [postgres, os2iot-backend]
    keys:
      username: os2iot
      password: {generate: {length: 40, alphabet: alnum}}
  - name: os2iot-backend-encryption
    namespace: os2iot-backend
    keys:
      symmetricKey: {generate: hex32}
  - name: cloudnative-pg-cluster-os2iot
    namespace: os2iot-backend
    keys:
      password: {same-as: postgres/postgres-cluster-os2iot/password}
  - name: ca-keys
    namespace: os2iot-backend
    labels: {app: os2iot}
    keys:
      ca.crt: {from-file: ca.crt}
      token: {from-env: TOKEN}
)";

void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dir.path() / "plan.yaml", kPlan);
    write(dir.path() / "ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  }

  core::Result<PlanReport> apply(bool dry_run = false) {
    auto plan = load_plan((dir.path() / "plan.yaml").string());
    if (!plan) return plan.error();
    PlanOptions options;
    options.dry_run = dry_run;
    options.env = [this](const std::string& name) -> std::optional<std::string> {
      const auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional(it->second);
    };
    return apply_plan(*plan, cert, options);
  }

  // Every file under the folder with its bytes and modification time.
  std::map<std::string, std::pair<std::string, fs::file_time_type>> snapshot() {
    std::map<std::string, std::pair<std::string, fs::file_time_type>> files;
    for (const auto& e : fs::recursive_directory_iterator(dir.path()))
      if (e.is_regular_file()) files[e.path().string()] = {read(e.path()), e.last_write_time()};
    return files;
  }

  Secret unseal_file(const std::string& rel) {
    auto sealed = parse_sealed_secrets(read(dir.path() / rel), rel);
    EXPECT_TRUE(sealed.ok());
    auto secret = unseal(sealed->front(), keys);
    EXPECT_TRUE(secret.ok()) << secret.error().message;
    return secret.value();
  }

  test_support::TempDir dir;
  SealingCertificate cert = seal_test::controller_cert();
  std::vector<RsaKey> keys = seal_test::controller_keys();
  std::map<std::string, std::string> env{{"TOKEN", "t0k3n-from-env"}};
};

TEST_F(PlanTest, FirstRunGeneratesSealsAndKeepsStatePrivate) {
  auto report = apply();
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report->outputs.size(), 5u);
  for (const auto& o : report->outputs) EXPECT_EQ(o.change, Change::created) << o.path;
  EXPECT_EQ(report->generated.size(), 2u);  // the password and the key; same-as generates nothing

  struct stat st {};
  ASSERT_EQ(::stat(report->state_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(report->state_file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir.path() / "sealed/postgres/postgres-cluster-os2iot.yaml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);

  // One password, sealed into both namespaces and shared by same-as; each opens in its own place.
  auto pg = unseal_file("sealed/postgres/postgres-cluster-os2iot.yaml");
  auto app = unseal_file("sealed/os2iot-backend/postgres-cluster-os2iot.yaml");
  auto cnpg = unseal_file("sealed/os2iot-backend/cloudnative-pg-cluster-os2iot.yaml");
  EXPECT_EQ(pg.ns, "postgres");
  EXPECT_EQ(text(pg.data.at("password")).size(), 40u);
  EXPECT_EQ(pg.data.at("password"), app.data.at("password"));
  EXPECT_EQ(pg.data.at("password"), cnpg.data.at("password"));
  EXPECT_EQ(text(pg.data.at("username")), "os2iot");
  const auto key = text(
      unseal_file("sealed/os2iot-backend/os2iot-backend-encryption.yaml").data.at("symmetricKey"));
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  auto ca = unseal_file("sealed/os2iot-backend/ca-keys.yaml");
  EXPECT_EQ(text(ca.data.at("token")), "t0k3n-from-env");
  EXPECT_EQ(ca.labels.at("app"), "os2iot");
  EXPECT_EQ(text(ca.data.at("ca.crt")), read(dir.path() / "ca.crt"));

  const auto state = nlohmann::json::parse(read(report->state_file));
  EXPECT_EQ(state["generated"]["postgres/postgres-cluster-os2iot/password"],
            text(pg.data.at("password")));
}

TEST_F(PlanTest, SecondRunChangesNothingOnDisk) {
  ASSERT_TRUE(apply().ok());
  const auto before = snapshot();
  auto again = apply();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->changes());
  for (const auto& o : again->outputs) EXPECT_EQ(o.change, Change::unchanged) << o.path;
  EXPECT_EQ(snapshot(), before);  // same bytes, same modification times, no new files
}

TEST_F(PlanTest, OnlyTheChangedSecretIsResealed) {
  ASSERT_TRUE(apply().ok());
  const auto before = snapshot();
  env["TOKEN"] = "a-new-token";
  auto report = apply();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->generated.empty());
  const auto after = snapshot();
  for (const auto& [path, content] : before) {
    if (path.ends_with("sealed/os2iot-backend/ca-keys.yaml") || path.ends_with("state.json"))
      EXPECT_NE(after.at(path).first, content.first) << path;
    else
      EXPECT_EQ(after.at(path), content) << path;
  }
  EXPECT_EQ(text(unseal_file("sealed/os2iot-backend/ca-keys.yaml").data.at("token")),
            "a-new-token");
  // Generated values survived.
  auto pg = unseal_file("sealed/postgres/postgres-cluster-os2iot.yaml");
  const auto state = nlohmann::json::parse(read(report->state_file));
  EXPECT_EQ(state["generated"]["postgres/postgres-cluster-os2iot/password"],
            text(pg.data.at("password")));
}

TEST_F(PlanTest, EditedOrDeletedSealedFileIsRewritten) {
  ASSERT_TRUE(apply().ok());
  const fs::path file = dir.path() / "sealed/postgres/postgres-cluster-os2iot.yaml";
  write(file, "tampered\n");
  fs::remove(dir.path() / "sealed/os2iot-backend/ca-keys.yaml");
  auto report = apply();
  ASSERT_TRUE(report.ok());
  std::map<std::string, Change> changes;
  for (const auto& o : report->outputs) changes[o.path] = o.change;
  EXPECT_EQ(changes["sealed/postgres/postgres-cluster-os2iot.yaml"], Change::updated);
  EXPECT_EQ(changes["sealed/os2iot-backend/ca-keys.yaml"], Change::created);
  EXPECT_EQ(changes["sealed/os2iot-backend/postgres-cluster-os2iot.yaml"], Change::unchanged);
  EXPECT_NE(read(file), "tampered\n");
}

TEST_F(PlanTest, DryRunWritesNothing) {
  auto report = apply(true);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->changes());
  EXPECT_FALSE(fs::exists(dir.path() / "sealed"));
  EXPECT_FALSE(fs::exists(dir.path() / ".iot-seal"));
  EXPECT_STREQ(change_name(Change::created, true), "would create");
}

TEST_F(PlanTest, PlaceholdersAndMissingInputsAreAllReportedAndNothingIsWritten) {
  write(dir.path() / "plan.yaml", std::string(kPlan) + R"(  - name: os2iot-backend-email
    namespace: os2iot-backend
    keys:
      user: "<YOUR_SMTP_USERNAME>"
      pass: {from-env: SMTP_PASSWORD}
  - name: os2iot-bootstrap
    namespace: os2iot-backend
    keys:
      username: global-admin@os2iot.dk
      password: hunter2
      other: {from-file: missing.txt}
)");
  env["TOKEN"] = "changeme";
  auto report = apply();
  ASSERT_FALSE(report.ok());
  const std::string m = report.error().message;
  EXPECT_NE(m.find("5 problems, nothing was written"), std::string::npos) << m;
  EXPECT_NE(m.find("secret os2iot-backend/os2iot-backend-email, key user: the literal value still "
                   "looks like a placeholder"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("secret os2iot-backend/os2iot-backend-email, key pass: from-env: the "
                   "environment variable SMTP_PASSWORD is not set"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("secret os2iot-backend/os2iot-bootstrap, key password"), std::string::npos) << m;
  EXPECT_NE(m.find("hunter2"), std::string::npos) << m;
  EXPECT_NE(
      m.find(
          "key token: the variable TOKEN still looks like a placeholder: it contains 'changeme'"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("key other: from-file"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dir.path() / "sealed"));
  EXPECT_FALSE(fs::exists(dir.path() / ".iot-seal"));
}

TEST(Placeholders, Detection) {
  EXPECT_TRUE(placeholder_reason("YOUR_HETZNER_API_TOKEN"));
  EXPECT_TRUE(placeholder_reason("prefix-your_token"));
  EXPECT_TRUE(placeholder_reason("<GENERATE_SECURE_PASSWORD>"));
  EXPECT_TRUE(placeholder_reason("\"<CA_KEY_PASSWORD>\""));
  EXPECT_TRUE(placeholder_reason(
      "-----BEGIN CERTIFICATE-----\n    <contents of ca.crt>\n-----END CERTIFICATE-----\n"));
  EXPECT_TRUE(placeholder_reason("ChangeMe"));
  EXPECT_TRUE(placeholder_reason("hunter2"));
  EXPECT_EQ(*placeholder_reason("hunter2"), "contains 'hunter2' (OS2IoT's default admin password)");
  EXPECT_FALSE(placeholder_reason("global-admin@os2iot.dk"));
  EXPECT_FALSE(placeholder_reason("a<b>c"));
  EXPECT_FALSE(placeholder_reason("x < y and y > z"));
  EXPECT_FALSE(
      placeholder_reason("-----BEGIN CERTIFICATE-----\nMIIB0TCC\n-----END CERTIFICATE-----\n"));
  EXPECT_FALSE(placeholder_reason(""));
}

TEST(ParsePlan, ReportsEveryProblemAtOnce) {
  auto plan = parse_plan(R"(kind: SecretsPlan
scope: global
secrets:
  - name: Bad_Name
    namespace: ns
    keys: {a: x}
  - name: ok
    namespces: [ns]
    keys: {a: x}
  - name: dup
    namespace: ns
    keys:
      a: {generate: {length: 0}}
      b: {generate: hex}
      c: {from-vault: x}
      d: {same-as: nowhere/x}
  - name: dup
    namespace: ns
    keys: {a: x}
)",
                         "plan.yaml");
  ASSERT_FALSE(plan.ok());
  const std::string m = plan.error().message;
  for (const char* expected :
       {"plan: unknown scope 'global'", "secrets[0]: name 'Bad_Name' is not a valid Secret name",
        "secrets[1]: unknown field 'namespces'", "secret ok: needs at least one namespace",
        "secret dup, key a: generate.length must be a number from 1 to 4096",
        "secret dup, key b: generate: 'hex' is not understood",
        "secret dup, key c: unknown value source 'from-vault'",
        "secret dup, key d: same-as 'nowhere/x' names no key",
        "secret dup: appears twice in namespace ns"})
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  EXPECT_TRUE(m.starts_with("plan.yaml: 10 problems, nothing was written:")) << m;
}

TEST(ParsePlan, OutputsAndAlphabets) {
  auto plan = parse_plan(R"(kind: SecretsPlan
format: json
output: out
scope: namespace-wide
secrets:
  - name: s
    namespaces: [a, {namespace: b, output: custom/b.json}]
    keys:
      k: {generate: {length: 8, alphabet: "xy"}}
      h: {generate: hex64}
  - name: t
    namespace: a
    scope: strict
    output: "t/{namespace}-{name}.json"
    keys: {k: {literal: "v"}}
)",
                         "dir/plan.yaml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->dir, fs::path("dir"));
  EXPECT_EQ(plan->format, Format::json);
  const auto& s = plan->secrets[0];
  EXPECT_EQ(s.targets[0].output, "out/a/s.json");
  EXPECT_EQ(s.targets[1].output, "custom/b.json");
  EXPECT_EQ(s.scope, Scope::namespace_wide);
  EXPECT_EQ(s.keys[0].second.alphabet, "xy");
  EXPECT_EQ(s.keys[1].second.length, 64u);
  EXPECT_EQ(s.state_id("k"), "a/s/k");
  EXPECT_EQ(plan->secrets[1].targets[0].output, "t/a-t.json");
  EXPECT_EQ(plan->secrets[1].scope, Scope::strict);
}

TEST(ExamplePlan, ReproducesTheSixteenSecretsOfAnOs2iotInstall) {
  auto plan = load_plan(std::string(IOT_SOURCE_DIR) + "/k8s/secrets/os2iot-plan.yaml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::size_t secrets = 0;
  for (const auto& s : plan->secrets) secrets += s.targets.size();
  EXPECT_EQ(secrets, 16u);
}

}  // namespace
}  // namespace iotfleet::seal
