// iot-bootstrap-org os2iot against the OS2IoT stand-in (tests/support/os2iot_standin.py): first
// run, re-run, failures half-way that a retry repairs, the duplicate-name 400, and the refusals
// that each have their own message and exit code.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "support/os2iot_standin.hpp"
#include "test_support/process.hpp"

namespace iotfleet {
namespace {

using nlohmann::json;
using test_support::Os2iotStandin;
using test_support::RunResult;

test_support::RunOptions with_env(std::map<std::string, std::string> env,
                                  std::vector<std::string> unset = {}) {
  test_support::RunOptions o;
  o.env = std::move(env);
  o.unset = std::move(unset);
  return o;
}

class BootstrapOs2iot : public ::testing::Test {
 protected:
  RunResult bootstrap(std::vector<std::string> extra = {},
                      std::map<std::string, std::string> env = {},
                      const std::string& org = "Default") {
    std::vector<std::string> args = {"os2iot", "--api-url", api.url(), "--org",
                                     org,      "--wait",    "20"};
    args.insert(args.end(), extra.begin(), extra.end());
    env.emplace("BOOTSTRAP_USERNAME", Os2iotStandin::kUsername);
    env.emplace("BOOTSTRAP_PASSWORD", api.password());
    env.emplace("IOT_LOG_FORMAT", "text");
    return test_support::run(test_support::bin("iot-bootstrap-org"), args,
                             with_env(env, {"BOOTSTRAP_PASSWORD_FILE", "OS2IOT_API_URL"}));
  }
  json bootstrap_json(std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--output", "json"});
    const auto r = bootstrap(extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  json organizations() { return api.state()["organizations"]; }

  Os2iotStandin api;
};

TEST_F(BootstrapOs2iot, FirstRunCreatesTheOrganisationAndPrintsItsId) {
  const auto r = bootstrap();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto orgs = organizations();
  ASSERT_EQ(orgs.size(), 1u);
  EXPECT_EQ(orgs[0]["name"], "Default");
  EXPECT_EQ(r.out, "created organisation 'Default' (id " + orgs[0]["id"].dump() + ")\n");
}

TEST_F(BootstrapOs2iot, ReRunFindsItAndCreatesNothing) {
  const auto first = bootstrap_json();
  EXPECT_TRUE(first["created"]);
  const auto second = bootstrap_json();
  EXPECT_FALSE(second["created"]);
  EXPECT_EQ(second["organization"]["id"], first["organization"]["id"]);
  EXPECT_EQ(organizations().size(), 1u);
  EXPECT_EQ(api.counter("create_requests"), 1) << "the re-run must look before it creates";
}

TEST_F(BootstrapOs2iot, FindsAnOrganisationOthersMadeAmongSeveral) {
  api.control("organization", {{"name", "Other"}});
  api.control("organization", {{"name", "Default"}});
  const auto out = bootstrap_json();
  EXPECT_FALSE(out["created"]);
  EXPECT_EQ(out["organization"]["id"], 2);
  EXPECT_EQ(api.counter("create_requests"), 0);
}

TEST_F(BootstrapOs2iot, ApiRestartHalfWayIsRetriedUntilItConverges) {
  // Health and login answer, then the backend restarts: the list and the next health checks
  // get 503 before it is back.
  api.control("faults", {{"where", "all"}, {"after", 2}, {"count", 3}, {"status", 503}});
  const auto out = bootstrap_json();
  EXPECT_TRUE(out["created"]);
  EXPECT_GE(out["attempts"], 2);
  EXPECT_EQ(organizations().size(), 1u);
}

TEST_F(BootstrapOs2iot, LostAnswerToTheCreateDoesNotDuplicate) {
  // The create takes effect but the connection drops before the answer (a restart at the worst
  // moment): the retry (libcurl's resend on a dead kept-alive connection, or the tool's own)
  // must find the organisation, not make a second one.
  api.control("faults", {{"where", "create"}, {"mode", "apply-then-close"}, {"count", 1}});
  const auto out = bootstrap_json();
  EXPECT_EQ(out["organization"]["name"], "Default");
  EXPECT_FALSE(out["created"]) << "its answer was lost: it was found afterwards";
  EXPECT_EQ(organizations().size(), 1u);
  EXPECT_EQ(api.counter("creates"), 1);
  EXPECT_GE(api.counter("create_requests") + api.counter("list_requests"), 3);
}

TEST_F(BootstrapOs2iot, DuplicateNameAnswerIsSuccessOnlyWhenTheOrganisationExists) {
  // A stale list misses the organisation another run has made: the create gets the
  // duplicate-name 400, and the look-up that follows finds it.
  api.control("organization", {{"name", "Default"}});
  api.control("faults", {{"where", "list"}, {"mode", "empty"}, {"count", 1}});
  const auto out = bootstrap_json();
  EXPECT_FALSE(out["created"]);
  EXPECT_EQ(out["organization"]["id"], 1);
  EXPECT_EQ(api.counter("creates_refused"), 1);
  EXPECT_EQ(organizations().size(), 1u);
}

TEST_F(BootstrapOs2iot, CreateRefusedForAnotherReasonFails) {
  api.control("faults", {{"where", "create"}, {"status", 400}, {"count", -1}});
  const auto r = bootstrap();
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("refused to create organisation 'Default' (400"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(organizations().size(), 0u);
}

TEST_F(BootstrapOs2iot, WrongPasswordIsRefusedWithItsOwnCode) {
  const auto r = bootstrap({}, {{"BOOTSTRAP_PASSWORD", "not-the-password"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("OS2IoT refused the login of 'global-admin@os2iot.dk' (401)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("not-the-password"), std::string::npos) << "a secret in a message";
  EXPECT_EQ(organizations().size(), 0u);
  EXPECT_EQ(api.counter("login_requests"), 1) << "a refused login is not retried";
}

TEST_F(BootstrapOs2iot, PasswordComesFromAFile) {
  test_support::TempDir dir;
  const auto file = (dir.path() / "password").string();
  std::ofstream(file) << api.password() << "\n";
  const auto r = test_support::run(test_support::bin("iot-bootstrap-org"),
                                   {"os2iot", "--api-url", api.url(), "--org", "Default"},
                                   with_env({{"BOOTSTRAP_USERNAME", Os2iotStandin::kUsername},
                                             {"BOOTSTRAP_PASSWORD_FILE", file}},
                                            {"BOOTSTRAP_PASSWORD"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(organizations().size(), 1u);
}

TEST(BootstrapOs2iotDefaults, DefaultPasswordIsRefusedUnlessAllowed) {
  Os2iotStandin api("hunter2");  // a fresh backend whose admin password was never changed
  const std::map<std::string, std::string> env = {{"BOOTSTRAP_USERNAME", Os2iotStandin::kUsername},
                                                  {"BOOTSTRAP_PASSWORD", "hunter2"}};
  const std::vector<std::string> args = {"os2iot", "--api-url", api.url(), "--org", "Default"};
  const auto refused =
      test_support::run(test_support::bin("iot-bootstrap-org"), args, with_env(env));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("well-known default password"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--allow-default-password"), std::string::npos) << refused.err;
  EXPECT_EQ(api.counter("health_requests"), 0) << "refused before any request";
  EXPECT_TRUE(api.state()["organizations"].empty());

  auto allowed_args = args;
  allowed_args.push_back("--allow-default-password");
  const auto allowed =
      test_support::run(test_support::bin("iot-bootstrap-org"), allowed_args, with_env(env));
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(api.state()["organizations"].size(), 1u);
}

TEST_F(BootstrapOs2iot, UnreachableApiGivesUpAfterTheWaitWithExitFive) {
  const std::string url = api.url();
  api.stop();
  const auto start = std::chrono::steady_clock::now();
  const auto r = test_support::run(test_support::bin("iot-bootstrap-org"),
                                   {"os2iot", "--api-url", url, "--org", "Default", "--wait", "2"},
                                   with_env({{"BOOTSTRAP_USERNAME", Os2iotStandin::kUsername},
                                             {"BOOTSTRAP_PASSWORD", "pw-for-tests"}}));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("was not healthy within 2 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unreachable"), std::string::npos) << r.err;
  EXPECT_LT(elapsed, std::chrono::seconds(8)) << "the wait is bounded";
  EXPECT_GE(elapsed, std::chrono::milliseconds(1000)) << "it did wait with back-off";
}

TEST_F(BootstrapOs2iot, WaitsForABackendThatIsStillStarting) {
  api.control("restart", {{"seconds", 2}});
  const auto out = bootstrap_json();
  EXPECT_TRUE(out["created"]);
  EXPECT_GT(api.counter("refused_while_down"), 0);
}

TEST_F(BootstrapOs2iot, UnexpectedAnswerFailsAtOnceWithExitOne) {
  const auto start = std::chrono::steady_clock::now();
  const auto r =
      test_support::run(test_support::bin("iot-bootstrap-org"),
                        {"os2iot", "--api-url", api.url() + "/not-the-backend", "--org", "Default"},
                        with_env({{"BOOTSTRAP_USERNAME", Os2iotStandin::kUsername},
                                  {"BOOTSTRAP_PASSWORD", api.password()}}));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("unexpected answer (404)"), std::string::npos) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(BootstrapOs2iot, MissingSettingsAreUsageErrors) {
  const auto r = test_support::run(test_support::bin("iot-bootstrap-org"),
                                   {"os2iot", "--api-url", api.url(), "--org", "Default"},
                                   with_env({}, {"BOOTSTRAP_USERNAME", "BOOTSTRAP_USERNAME_FILE"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("BOOTSTRAP_USERNAME"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace iotfleet
