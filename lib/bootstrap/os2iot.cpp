#include "bootstrap/os2iot.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

#include "core/log.hpp"

namespace iotfleet::bootstrap {
namespace {

using nlohmann::json;

core::Result<long> whole_number(const core::Setting& s, const std::string& text, long lo, long hi) {
  long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    return core::Error::usage(std::string(s.env) + " (" + std::string(s.flag) +
                              ") must be a whole number from " + std::to_string(lo) + " to " +
                              std::to_string(hi) + ", not '" + text + "'");
  return v;
}

// Printable ASCII, at most 200 characters: an API's message may end up in a log line.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= 200) return out + "...";
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

// NestJS error bodies: {"statusCode":400,"message":"MESSAGE.X" or ["...", ...],"error":"..."}.
std::string api_message(const std::string& body) {
  const auto j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (const auto m = j.find("message"); m != j.end()) {
      if (m->is_string()) return printable(m->get<std::string>());
      if (m->is_array() && !m->empty() && m->front().is_string())
        return printable(m->front().get<std::string>());
    }
    if (const auto e = j.find("error"); e != j.end() && e->is_string())
      return printable(e->get<std::string>());
    return "";
  }
  return body.size() <= 200 ? printable(body) : "";
}

std::string with_detail(std::string message, const idp::HttpResponse& r) {
  const std::string detail = api_message(r.body);
  return detail.empty() ? message : message + ": " + detail;
}

std::optional<Organization> organization_of(const json& j) {
  if (!j.is_object()) return std::nullopt;
  const auto id = j.find("id");
  const auto name = j.find("name");
  if (id == j.end() || !(id->is_number_integer() || id->is_string()) || name == j.end() ||
      !name->is_string())
    return std::nullopt;
  return Organization{*id, name->get<std::string>()};
}

}  // namespace

std::string Organization::id_text() const {
  return id.is_string() ? id.get<std::string>() : id.dump();
}

core::Result<Os2iotSettings> Os2iotSettings::load(const core::Config& config,
                                                  const Os2iotFlags& flags) {
  return core::capture([&]() -> core::Result<Os2iotSettings> {
    Os2iotSettings s;
    std::string url = config.require(kOs2iotApiUrl, flags.api_url).take();
    if (!url.starts_with("https://") && !url.starts_with("http://"))
      return core::Error::usage(
          "OS2IOT_API_URL (--api-url) must be an http:// or https:// URL, not '" + url + "'");
    while (url.ends_with('/')) url.pop_back();
    // The spec's paths are {api}/api/v1/...: accept the URL with or without that prefix.
    if (url.ends_with("/api/v1")) url.resize(url.size() - 7);
    s.api_url = url;
    s.organization = config.require(kOrganization, flags.organization).take();
    if (s.organization.empty() || s.organization.size() > 200)
      return core::Error::usage("the organisation name (--org) must have 1 to 200 characters");
    s.username = config.require(kBootstrapUsername).take();
    s.password = config.require(kBootstrapPassword).take();
    if (s.password == kDefaultAdminPassword && !flags.allow_default_password)
      return core::Error::usage(
          "BOOTSTRAP_PASSWORD is OS2IoT's well-known default password: refusing to use it",
          "change the password of '" + s.username +
              "' in OS2IoT and in the Secret the Job reads; --allow-default-password overrides "
              "this for a throw-away install");
    s.wait = std::chrono::seconds(
        whole_number(kBootstrapWait, config.require(kBootstrapWait, flags.wait).take(), 0, 86400)
            .take());
    const long timeout =
        whole_number(kOs2iotTimeout, config.require(kOs2iotTimeout, flags.timeout).take(), 1, 300)
            .take();
    s.http.timeout = std::chrono::seconds(timeout);
    s.http.connect_timeout = std::chrono::seconds(std::min(timeout, 5L));
    s.http.ca_file = config.get(kOs2iotCaFile, flags.ca_file).value_or("");
    return s;
  });
}

core::Result<idp::HttpResponse> Os2iotClient::send(const std::string& method,
                                                   const std::string& path, const std::string& what,
                                                   const std::string& token, const json* body) {
  idp::HttpRequest req;
  req.method = method;
  req.url = api_ + "/api/v1" + path;
  req.headers = {"Accept: application/json"};
  if (!token.empty()) req.headers.push_back("Authorization: Bearer " + token);
  if (body) {
    req.headers.emplace_back("Content-Type: application/json");
    req.body = body->dump();
  }
  auto r = http_.send(req);
  if (!r) {
    if (r.error().kind == core::ErrorKind::failure)  // TLS verification: retrying will not help
      return core::Error::failure("OS2IoT API at " + api_ + ": " + what + ": " + r.error().message,
                                  "for a private CA, set OS2IOT_CA_FILE to its certificate (PEM)");
    return core::Error::unavailable(
        "OS2IoT API at " + api_ + " is unreachable (" + what + "): " + r.error().message,
        "check OS2IOT_API_URL and that the backend is running; running again is safe");
  }
  if (r->status >= 500)
    return core::Error::unavailable(
        with_detail("OS2IoT API answered " + std::to_string(r->status) + " to " + what, *r),
        "the backend is failing or restarting; running again is safe");
  return r;
}

core::Error Os2iotClient::unexpected(const idp::HttpResponse& r, const std::string& what) const {
  return core::Error::failure(
      with_detail("OS2IoT API at " + api_ + " gave an unexpected answer (" +
                      std::to_string(r.status) + ") to " + what,
                  r),
      "check that OS2IOT_API_URL points at the OS2IoT backend (the paths are /api/v1/...)");
}

core::Status Os2iotClient::health() {
  auto r = send("GET", "/healthcheck", "the health check", "");
  if (!r) return r.error();
  if (r->status / 100 == 4) return unexpected(*r, "the health check");  // a wrong URL
  if (r->status != 200)
    return core::Error::unavailable("OS2IoT API health check answered " +
                                    std::to_string(r->status));
  return core::ok_status();
}

core::Result<std::string> Os2iotClient::login(const std::string& username,
                                              const std::string& password) {
  const std::string what = "the login of '" + username + "'";
  const json body = {{"username", username}, {"password", password}};
  auto r = send("POST", "/auth/login", what, "", &body);
  if (!r) return r.error();
  if (r->status == 400 || r->status == 401 || r->status == 403)
    return core::Error::usage(
        with_detail("OS2IoT refused " + what + " (" + std::to_string(r->status) + ")", *r),
        "check BOOTSTRAP_USERNAME and BOOTSTRAP_PASSWORD (the keys username and password of the "
        "Job's Secret)");
  if (r->status / 100 != 2) return unexpected(*r, what);
  const auto j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("accessToken") || !j["accessToken"].is_string() ||
      j["accessToken"].get<std::string>().empty())
    return core::Error::failure("OS2IoT API at " + api_ + " answered " + what +
                                " without an accessToken");
  return j["accessToken"].get<std::string>();
}

core::Result<std::vector<Organization>> Os2iotClient::organizations(const std::string& token) {
  const std::string what = "the list of organisations";
  auto r = send("GET", "/organization/minimal", what, token);
  if (!r) return r.error();
  if (r->status == 401)  // a token the restarted backend no longer accepts: log in again
    return core::Error::unavailable("OS2IoT API refused the access token (401) for " + what);
  if (r->status != 200) return unexpected(*r, what);
  const auto j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
    return core::Error::failure("OS2IoT API at " + api_ + " answered " + what +
                                " without the list 'data' of {id, name}");
  std::vector<Organization> out;
  for (const auto& item : j["data"]) {
    auto org = organization_of(item);
    if (!org)
      return core::Error::failure("OS2IoT API at " + api_ + " listed an organisation without " +
                                  "an id or a name");
    out.push_back(std::move(*org));
  }
  return out;
}

core::Result<Os2iotClient::CreateAnswer> Os2iotClient::create(const std::string& token,
                                                              const std::string& name) {
  const std::string what = "the creation of organisation '" + name + "'";
  const json body = {{"name", name}};
  auto r = send("POST", "/organization", what, token, &body);
  if (!r) return r.error();
  if (r->status == 401)
    return core::Error::unavailable("OS2IoT API refused the access token (401) for " + what);
  if (r->status == 400) {
    const std::string message = api_message(r->body);
    return CreateAnswer{std::nullopt, message.empty() ? "400 Bad Request" : message};
  }
  if (r->status / 100 != 2) return unexpected(*r, what);
  auto org = organization_of(json::parse(r->body, nullptr, false));
  if (!org)
    return core::Error::failure("OS2IoT API at " + api_ + " answered " + what +
                                " without the organisation's id and name");
  return CreateAnswer{std::move(org), ""};
}

namespace {

std::optional<Organization> find(const std::vector<Organization>& all, const std::string& name) {
  for (const auto& o : all)
    if (o.name == name) return o;
  return std::nullopt;
}

// One pass of login, look-up, create. Every step can be repeated safely.
core::Result<OrganizationOutcome> attempt(Os2iotClient& api, const Os2iotSettings& s) {
  auto token = api.login(s.username, s.password);
  if (!token) return token.error();
  auto all = api.organizations(*token);
  if (!all) return all.error();
  if (auto found = find(*all, s.organization)) return OrganizationOutcome{*found, false};
  auto answer = api.create(*token, s.organization);
  if (!answer) return answer.error();
  if (answer->created) {
    if (answer->created->name != s.organization)
      return core::Error::failure("OS2IoT API created organisation '" + answer->created->name +
                                  "' when asked for '" + s.organization + "'");
    return OrganizationOutcome{*answer->created, true};
  }
  // 400: a duplicate name (an earlier attempt whose answer was lost, or a concurrent run) or a
  // real refusal. Only a look-up tells them apart.
  all = api.organizations(*token);
  if (!all) return all.error();
  if (auto found = find(*all, s.organization)) {
    core::log::info(
        "the create was refused but the organisation exists: an earlier attempt or "
        "another run created it",
        {{"organization", s.organization}, {"answer", answer->refusal}});
    return OrganizationOutcome{*found, false};
  }
  return core::Error::failure("OS2IoT refused to create organisation '" + s.organization +
                                  "' (400: " + answer->refusal + ") and it does not exist",
                              "check the name; OS2IoT answers 400 to any invalid create");
}

}  // namespace

core::Result<OrganizationOutcome> ensure_organization(const Os2iotSettings& s,
                                                      idp::HttpClient& http, const Pacing& pacing) {
  using namespace std::chrono;
  const auto now = pacing.now ? pacing.now : [] { return steady_clock::now(); };
  const auto sleep =
      pacing.sleep ? pacing.sleep : [](milliseconds d) { std::this_thread::sleep_for(d); };
  Os2iotClient api(s.api_url, http);
  const auto deadline = now() + s.wait;
  auto backoff = pacing.first_backoff;
  // Waits before the next try, or says that the deadline does not leave room for one.
  auto pause = [&]() {
    if (now() + backoff > deadline) return false;
    sleep(backoff);
    backoff = std::min(backoff * 2, pacing.max_backoff);
    return true;
  };
  for (int attempts = 1;; ++attempts) {
    for (;;) {
      auto healthy = api.health();
      if (healthy) break;
      if (healthy.error().kind != core::ErrorKind::unavailable) return healthy.error();
      core::log::info("waiting for the OS2IoT API", {{"cause", healthy.error().message}});
      if (!pause())
        return core::Error::unavailable(
            "OS2IoT API at " + s.api_url + " was not healthy within " +
                std::to_string(s.wait.count()) + " s: " + healthy.error().message,
            "check that the backend runs (BOOTSTRAP_WAIT_SECONDS sets the wait); running again "
            "is safe");
    }
    auto outcome = attempt(api, s);
    if (outcome) {
      outcome->attempts = attempts;
      return outcome;
    }
    if (outcome.error().kind != core::ErrorKind::unavailable) return outcome.error();
    core::log::warn("OS2IoT API failed half-way; starting again from the health check",
                    {{"cause", outcome.error().message}, {"attempt", attempts}});
    if (!pause()) return outcome.error();
  }
}

nlohmann::ordered_json to_json(const OrganizationOutcome& o) {
  nlohmann::ordered_json j;
  j["organization"] = {{"id", o.organization.id}, {"name", o.organization.name}};
  j["created"] = o.created;
  j["attempts"] = o.attempts;
  return j;
}

}  // namespace iotfleet::bootstrap
