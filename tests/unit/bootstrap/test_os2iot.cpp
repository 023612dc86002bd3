// The OS2IoT organisation bootstrap against a scripted API and a fake clock: settings, the
// bounded back-off, and which answers are retried, refused or reported as unexpected. The
// integration tests run the executable against the stand-in.
#include "bootstrap/os2iot.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

namespace iotfleet::bootstrap {
namespace {

using namespace std::chrono_literals;
using idp::HttpRequest;
using idp::HttpResponse;

// Answers per path ("/api/v1/healthcheck", ...): scripted answers first, then the fallback.
class ScriptedApi final : public idp::HttpClient {
 public:
  std::map<std::string, std::deque<core::Result<HttpResponse>>> script;
  std::map<std::string, HttpResponse> fallback;
  std::vector<HttpRequest> requests;

  core::Result<HttpResponse> send(const HttpRequest& r) override {
    requests.push_back(r);
    const std::string path = r.url.substr(r.url.find("/api/v1"));
    if (auto& q = script[path]; !q.empty()) {
      auto a = std::move(q.front());
      q.pop_front();
      return a;
    }
    if (const auto it = fallback.find(path); it != fallback.end()) return it->second;
    return HttpResponse{404, R"({"statusCode":404,"message":"Cannot GET"})", {}};
  }
  std::size_t count(const std::string& path) const {
    std::size_t n = 0;
    for (const auto& r : requests) n += r.url.ends_with(path);
    return n;
  }
};

core::Error refused() { return core::Error::unavailable("Couldn't connect to server"); }

struct Bootstrap : ::testing::Test {
  ScriptedApi api;
  Os2iotSettings settings = [] {
    Os2iotSettings s;
    s.api_url = "http://os2iot:3000";
    s.organization = "Default";
    s.username = "admin@example.org";
    s.password = "a-good-password";
    s.wait = 60s;
    return s;
  }();
  std::chrono::steady_clock::time_point now{};
  std::vector<std::chrono::milliseconds> sleeps;
  Pacing pacing{500ms, 10s, [this](std::chrono::milliseconds d) { sleeps.push_back(d), now += d; },
                [this] { return now; }};

  Bootstrap() {
    api.fallback["/api/v1/healthcheck"] = {200, "OK", {}};
    api.fallback["/api/v1/auth/login"] = {201, R"({"accessToken":"tok"})", {}};
    api.fallback["/api/v1/organization/minimal"] = {200, R"({"count":0,"data":[]})", {}};
    api.fallback["/api/v1/organization"] = {201, R"({"id":7,"name":"Default"})", {}};
  }
  core::Result<OrganizationOutcome> run() { return ensure_organization(settings, api, pacing); }
};

TEST_F(Bootstrap, CreatesWhenMissingWithTheTokenItGot) {
  auto out = run();
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_TRUE(out->created);
  EXPECT_EQ(out->organization.id_text(), "7");
  EXPECT_EQ(api.count("/api/v1/organization"), 1u);
  const auto& create = api.requests.back();
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.body, R"({"name":"Default"})");
  EXPECT_NE(std::find(create.headers.begin(), create.headers.end(), "Authorization: Bearer tok"),
            create.headers.end());
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(Bootstrap, FindsAnExistingOneByExactName) {
  api.fallback["/api/v1/organization/minimal"] = {
      200, R"({"count":2,"data":[{"id":1,"name":"default"},{"id":2,"name":"Default"}]})", {}};
  auto out = run();
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->created);
  EXPECT_EQ(out->organization.id_text(), "2");
  EXPECT_EQ(api.count("/api/v1/organization"), 0u);
}

TEST_F(Bootstrap, WaitsForHealthWithDoublingBackOff) {
  api.script["/api/v1/healthcheck"] = {refused(), HttpResponse{503, "", {}}, refused(),
                                       HttpResponse{502, "", {}}};
  auto out = run();
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{500ms, 1000ms, 2000ms, 4000ms}));
}

TEST_F(Bootstrap, BackOffIsCappedAndTheWaitBounded) {
  api.fallback["/api/v1/healthcheck"] = {503, "", {}};
  auto out = run();
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, core::ErrorKind::unavailable);
  EXPECT_NE(out.error().message.find("not healthy within 60 s"), std::string::npos);
  std::chrono::milliseconds total{0};
  for (auto d : sleeps) {
    EXPECT_LE(d, 10s);
    total += d;
  }
  EXPECT_LE(total, 60s);
  EXPECT_GE(total, 40s) << "it used most of the wait";
}

TEST_F(Bootstrap, FailureHalfWayStartsAgainFromTheHealthCheck) {
  api.script["/api/v1/organization/minimal"] = {HttpResponse{503, "", {}}, refused()};
  auto out = run();
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->attempts, 3);
  EXPECT_EQ(api.count("/api/v1/healthcheck"), 3u);
  EXPECT_EQ(api.count("/api/v1/auth/login"), 3u);
}

TEST_F(Bootstrap, DuplicateAnswerIsResolvedByLookingAgain) {
  api.script["/api/v1/organization/minimal"] = {HttpResponse{200, R"({"count":0,"data":[]})", {}}};
  api.fallback["/api/v1/organization/minimal"] = {
      200, R"({"count":1,"data":[{"id":4,"name":"Default"}]})", {}};
  api.fallback["/api/v1/organization"] = {
      400, R"({"statusCode":400,"message":"MESSAGE.ORGANIZATION-ALREADY-EXISTS"})", {}};
  auto out = run();
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_FALSE(out->created);
  EXPECT_EQ(out->organization.id_text(), "4");
}

TEST_F(Bootstrap, CreateRefusedAndStillMissingIsAFailure) {
  api.fallback["/api/v1/organization"] = {
      400, R"({"statusCode":400,"message":"MESSAGE.ORGANIZATION-ALREADY-EXISTS"})", {}};
  auto out = run();
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, core::ErrorKind::failure);
  EXPECT_NE(out.error().message.find("MESSAGE.ORGANIZATION-ALREADY-EXISTS"), std::string::npos);
}

TEST_F(Bootstrap, RefusedLoginIsAUsageErrorAndNotRetried) {
  api.fallback["/api/v1/auth/login"] = {401, R"({"statusCode":401,"message":"Unauthorized"})", {}};
  auto out = run();
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, core::ErrorKind::usage);
  EXPECT_EQ(out.error().message.find(settings.password), std::string::npos);
  EXPECT_EQ(api.count("/api/v1/auth/login"), 1u);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(Bootstrap, UnexpectedAnswersFailAtOnce) {
  api.fallback["/api/v1/healthcheck"] = {404, "Cannot GET", {}};
  auto out = run();
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, core::ErrorKind::failure);
  EXPECT_TRUE(sleeps.empty());

  api.fallback["/api/v1/healthcheck"] = {200, "OK", {}};
  api.fallback["/api/v1/organization/minimal"] = {200, R"({"organizations":[]})", {}};
  out = run();
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, core::ErrorKind::failure);
  EXPECT_NE(out.error().message.find("'data'"), std::string::npos);

  api.fallback["/api/v1/organization/minimal"] = {200, R"({"count":0,"data":[]})", {}};
  api.fallback["/api/v1/auth/login"] = {201, R"({"token":"x"})", {}};
  out = run();
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("accessToken"), std::string::npos);
}

core::EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Os2iotSettingsLoad, ReadsAndChecksSettings) {
  const core::Config config(env({{"BOOTSTRAP_USERNAME", "u"}, {"BOOTSTRAP_PASSWORD", "p"}}));
  Os2iotFlags f;
  f.api_url = "https://os2iot.example.org/api/v1/";
  f.organization = "Default";
  auto s = Os2iotSettings::load(config, f);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->api_url, "https://os2iot.example.org");
  EXPECT_EQ(s->wait, 300s);

  f.wait = "soon";
  auto bad = Os2iotSettings::load(config, f);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, core::ErrorKind::usage);
  EXPECT_NE(bad.error().message.find("BOOTSTRAP_WAIT_SECONDS"), std::string::npos);

  f.wait.reset();
  auto missing = Os2iotSettings::load(core::Config(env({{"BOOTSTRAP_PASSWORD", "p"}})), f);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("BOOTSTRAP_USERNAME"), std::string::npos);
}

TEST(Os2iotSettingsLoad, RefusesTheDefaultPasswordUnlessAllowed) {
  const core::Config config(env({{"BOOTSTRAP_USERNAME", "u"}, {"BOOTSTRAP_PASSWORD", "hunter2"}}));
  Os2iotFlags f;
  f.api_url = "http://os2iot";
  f.organization = "Default";
  auto refused = Os2iotSettings::load(config, f);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, core::ErrorKind::usage);
  f.allow_default_password = true;
  EXPECT_TRUE(Os2iotSettings::load(config, f));
}

}  // namespace
}  // namespace iotfleet::bootstrap
