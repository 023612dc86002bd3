#pragma once
// Keycloak as identity provider: one confidential client per device (service account, no
// browser flows) managed through the admin REST API of specs/keycloak.md (Keycloak 17+ paths;
// KEYCLOAK_BASE_PATH=/auth for older servers).
//
// The admin token (client credentials of KEYCLOAK_ADMIN_CLIENT_ID, which needs the
// realm-management role manage-clients) is cached until shortly before it expires; a 401 from
// the admin API fetches a new one and retries once. Each device client gets the audience scope
// KEYCLOAK_DEVICE_SCOPE as a default scope, so its tokens carry the endpoint's audience.
// Requests reuse a small pool of libcurl handles; create_many()/remove_many() overlap up to
// KEYCLOAK_CONCURRENCY requests. An unreachable, failing (5xx) or slow Keycloak is
// ErrorKind::unavailable with a message naming Keycloak; Keycloak's own status and message are
// kept in errors, secrets never.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "idp/http.hpp"
#include "idp/provider.hpp"

namespace iotfleet::idp {

inline constexpr core::Setting kKeycloakUrl{"--keycloak-url", "KEYCLOAK_BASE_URL", ""};
inline constexpr core::Setting kKeycloakBasePath{"--keycloak-base-path", "KEYCLOAK_BASE_PATH", ""};
inline constexpr core::Setting kKeycloakRealm{"--keycloak-realm", "KEYCLOAK_REALM", ""};
inline constexpr core::Setting kKeycloakAdminClientId{"--keycloak-admin-client-id",
                                                      "KEYCLOAK_ADMIN_CLIENT_ID", ""};
/// A secret: environment or KEYCLOAK_ADMIN_CLIENT_SECRET_FILE only, never a flag.
inline constexpr core::Setting kKeycloakAdminClientSecret{"", "KEYCLOAK_ADMIN_CLIENT_SECRET", ""};
inline constexpr core::Setting kKeycloakCaFile{"--keycloak-ca-file", "KEYCLOAK_CA_FILE", ""};
inline constexpr core::Setting kKeycloakDeviceScope{"--keycloak-device-scope",
                                                    "KEYCLOAK_DEVICE_SCOPE", "iot-device-audience"};
inline constexpr core::Setting kKeycloakTimeout{"--keycloak-timeout", "KEYCLOAK_TIMEOUT_SECONDS",
                                                "10"};
inline constexpr core::Setting kKeycloakConcurrency{"--keycloak-concurrency",
                                                    "KEYCLOAK_CONCURRENCY", "8"};

/// Flag values of the Keycloak settings; unset ones fall back to the environment, then defaults.
struct KeycloakFlags {
  std::optional<std::string> url, base_path, realm, admin_client_id, ca_file, device_scope, timeout,
      concurrency;
  /// iot-bootstrap-org logs in as a realm administrator: the admin client's secret is optional.
  bool realm_admin_login = false;
};

struct KeycloakSettings {
  std::string base_url;  // scheme://host[:port][base path], without a trailing '/'
  std::string realm;
  std::string admin_client_id;
  std::string admin_client_secret;
  std::string device_scope = "iot-device-audience";
  /// When admin_username is set, the admin token comes from that user's password grant with the
  /// public client login_client_id of login_realm (a realm administrator, as iot-bootstrap-org
  /// uses to create the admin client) instead of the admin client's credentials. A refused
  /// login is then a usage error: the credentials given are wrong.
  std::string admin_username, admin_password;
  std::string login_realm = "master", login_client_id = "admin-cli";
  HttpOptions http;
  std::size_t concurrency = 8;

  /// Reads and checks every setting. A missing one is a usage error naming flag and variable.
  static core::Result<KeycloakSettings> load(const core::Config& config,
                                             const KeycloakFlags& flags = {});

  std::string realm_url() const;  // {base}/realms/{realm}: the issuer of the realm's tokens
  std::string admin_url() const;  // {base}/admin/realms/{realm}
  std::string token_url() const;  // {realm_url}/protocol/openid-connect/token
  /// The token endpoint of login_realm (realm-administrator login).
  std::string login_token_url() const;
};

class KeycloakProvider final : public IdentityProvider {
 public:
  using ClientFactory = std::function<std::unique_ptr<HttpClient>(const HttpOptions&)>;

  /// factory makes the HTTP clients of the pool (default: CurlHttpClient).
  explicit KeycloakProvider(KeycloakSettings settings, ClientFactory factory = {});
  ~KeycloakProvider() override;
  KeycloakProvider(const KeycloakProvider&) = delete;
  KeycloakProvider& operator=(const KeycloakProvider&) = delete;

  const KeycloakSettings& settings() const;

  /// Gets an admin token and finds the device scope: fails fast, before anything is changed,
  /// when Keycloak is down or the settings are wrong.
  core::Status check();

  std::string_view kind() const override { return "keycloak"; }
  core::Result<EnsureResult> create(const IdentitySpec& spec) override;
  core::Result<bool> exists(const std::string& client_id) override;
  core::Result<std::string> read_secret(const std::string& client_id) override;
  core::Status set_secret(const std::string& client_id, const std::string& secret) override;
  core::Result<std::string> regenerate(const std::string& client_id) override;
  core::Result<bool> remove(const std::string& client_id) override;
  core::Result<IdentityCheck> inspect(const IdentitySpec& spec) override;
  /// Up to `concurrency` at once; after the first failure the rest are not attempted (their
  /// results say so), since the caller undoes the whole batch anyway.
  std::vector<core::Result<EnsureResult>> create_many(const std::vector<IdentitySpec>& specs,
                                                      const ProgressFn& progress = {}) override;
  std::vector<core::Result<bool>> remove_many(const std::vector<std::string>& client_ids) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotfleet::idp
