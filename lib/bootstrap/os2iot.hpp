#pragma once
// The OS2IoT organisation bootstrap (../shared/specs/platform.md): wait for the backend's health
// check, log in, look the organisation up by name and create it only when it is missing. It
// replaces a curl Job that grepped JSON and took any error containing "exists" for success.
//
// Every step is safe to repeat, so a transient failure (the API unreachable, a 5xx, a dropped
// connection while the backend restarts) sends the run back to the health check and the whole
// sequence is tried again, with a doubling back-off, until BOOTSTRAP_WAIT_SECONDS have passed.
// The create answers 400 for a duplicate name (and for any other create error): the name is
// then looked up again, and only an organisation that really exists counts as success.
//
// Errors, each with its own kind (exit code): credentials refused → usage (2); the API
// unreachable or failing until the deadline → unavailable (5); any other answer the toolkit does
// not expect (a 404 from a wrong URL, a body without the fields of the spec) → failure (1).

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "idp/http.hpp"

namespace iotfleet::bootstrap {

inline constexpr core::Setting kOs2iotApiUrl{"--api-url", "OS2IOT_API_URL", ""};
inline constexpr core::Setting kOrganization{"--org", "OS2IOT_ORGANIZATION", ""};
/// Credentials of the bootstrap user: environment or <VARIABLE>_FILE only, never flags.
inline constexpr core::Setting kBootstrapUsername{"", "BOOTSTRAP_USERNAME", ""};
inline constexpr core::Setting kBootstrapPassword{"", "BOOTSTRAP_PASSWORD", ""};
inline constexpr core::Setting kBootstrapWait{"--wait", "BOOTSTRAP_WAIT_SECONDS", "300"};
inline constexpr core::Setting kOs2iotCaFile{"--ca-file", "OS2IOT_CA_FILE", ""};
inline constexpr core::Setting kOs2iotTimeout{"--timeout", "OS2IOT_TIMEOUT_SECONDS", "10"};

/// The password of OS2IoT's built-in global-admin@os2iot.dk on a fresh backend; an install must
/// have changed it, so a bootstrap that still uses it is refused unless explicitly allowed.
inline constexpr std::string_view kDefaultAdminPassword = "hunter2";

struct Os2iotFlags {
  std::optional<std::string> api_url, organization, wait, ca_file, timeout;
  bool allow_default_password = false;
};

struct Os2iotSettings {
  std::string api_url;  // scheme://host[:port][/prefix], without "/api/v1" and trailing '/'
  std::string organization;
  std::string username, password;
  std::chrono::seconds wait{300};
  idp::HttpOptions http;

  /// Reads and checks every setting; refuses the default password unless allowed. A missing or
  /// invalid setting is a usage error naming flag and variable.
  static core::Result<Os2iotSettings> load(const core::Config& config, const Os2iotFlags& flags);
};

struct Organization {
  nlohmann::json id;  // a number on OS2IoT; kept as the API gives it
  std::string name;
  std::string id_text() const;  // "3" (or the string id as it is)
};

/// The calls of the OS2IoT API the bootstrap makes, each translated into a result or an error
/// of the kind described at the top of this file.
class Os2iotClient {
 public:
  Os2iotClient(std::string api_url, idp::HttpClient& http)
      : api_(std::move(api_url)), http_(http) {}

  /// GET /api/v1/healthcheck: ok on 200; unavailable otherwise (the cause in the message).
  core::Status health();
  /// POST /api/v1/auth/login → the access token.
  core::Result<std::string> login(const std::string& username, const std::string& password);
  /// GET /api/v1/organization/minimal → every organisation ({count, data:[{id,name}]}).
  core::Result<std::vector<Organization>> organizations(const std::string& token);

  struct CreateAnswer {
    std::optional<Organization> created;  // set on 2xx
    std::string refusal;                  // the API's message on 400
  };
  /// POST /api/v1/organization {"name"}: the organisation, or the 400 refusal.
  core::Result<CreateAnswer> create(const std::string& token, const std::string& name);

 private:
  core::Result<idp::HttpResponse> send(const std::string& method, const std::string& path,
                                       const std::string& what, const std::string& token,
                                       const nlohmann::json* body = nullptr);
  core::Error unexpected(const idp::HttpResponse& r, const std::string& what) const;
  std::string api_;
  idp::HttpClient& http_;
};

/// How the bootstrap waits (real time by default; tests pass fakes).
struct Pacing {
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_backoff{10000};
  std::function<void(std::chrono::milliseconds)> sleep;        // default: this_thread::sleep_for
  std::function<std::chrono::steady_clock::time_point()> now;  // default: steady_clock::now
};

struct OrganizationOutcome {
  Organization organization;
  bool created = false;  // false: it already existed
  int attempts = 1;      // how many times the sequence ran (retries after transient failures)
};

/// Ensures the organisation settings.organization exists; see the top of this file.
core::Result<OrganizationOutcome> ensure_organization(const Os2iotSettings& settings,
                                                      idp::HttpClient& http,
                                                      const Pacing& pacing = {});

nlohmann::ordered_json to_json(const OrganizationOutcome& outcome);

}  // namespace iotfleet::bootstrap
