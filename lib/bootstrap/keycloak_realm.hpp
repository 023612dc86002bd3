#pragma once
// The Keycloak realm objects the toolkit relies on (../shared/specs/keycloak.md), made to exist
// and to be right by a realm administrator (password grant, KeycloakSettings::admin_username):
//
//   - the endpoint's audience client (OIDC_AUDIENCE): confidential, no flows, nothing logs in
//     with it; Keycloak's audience mapper needs it to exist;
//   - the device audience client scope (KEYCLOAK_DEVICE_SCOPE) with an oidc-audience-mapper that
//     puts OIDC_AUDIENCE into access tokens (devices get the scope as a default scope);
//   - the admin client (KEYCLOAK_ADMIN_CLIENT_ID): confidential, service account only, whose
//     service account has the realm-management role manage-clients; when
//     KEYCLOAK_ADMIN_CLIENT_SECRET is given, that secret is installed.
//
// plan() reads the realm and lists what differs; apply() makes those changes in dependency
// order (scope before its mapper, client before its service account's role), then plans again
// to prove that nothing differs any more. Objects that are already right are never written, so
// a second run changes nothing. Fields the toolkit does not care about are left alone, and an
// existing audience mapper with the right audience (whatever its name) is accepted.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "idp/keycloak.hpp"

namespace iotfleet::bootstrap {

/// Realm administrator credentials (environment or <VARIABLE>_FILE only) and realm to log in to.
inline constexpr core::Setting kKeycloakAdminUsername{"", "KEYCLOAK_ADMIN_USERNAME", ""};
inline constexpr core::Setting kKeycloakAdminPassword{"", "KEYCLOAK_ADMIN_PASSWORD", ""};
inline constexpr core::Setting kKeycloakLoginRealm{"--login-realm", "KEYCLOAK_ADMIN_LOGIN_REALM",
                                                   "master"};
/// The endpoint's audience: the same variable iot-serve verifies tokens against.
inline constexpr core::Setting kEndpointAudience{"--audience", "OIDC_AUDIENCE", ""};

struct RealmFlags {
  idp::KeycloakFlags keycloak;
  std::optional<std::string> login_realm, audience;
};

struct RealmSpec {
  std::string audience;                               // clientId of the endpoint's client
  std::string mapper_name = "iot-endpoint-audience";  // the mapper this tool creates
  std::string admin_role = "manage-clients";          // realm-management role of the admin
};

/// KeycloakSettings for a realm-administrator login plus the spec; usage errors name the
/// missing flag or variable.
struct RealmSettings {
  idp::KeycloakSettings keycloak;
  RealmSpec spec;
  static core::Result<RealmSettings> load(const core::Config& config, const RealmFlags& flags);
};

/// One difference and the change that removes it. Never carries a secret.
struct Change {
  std::string object;  // "client 'iot-api'", "client scope 'iot-device-audience'", ...
  std::string action;  // create, update, set secret, grant role
  std::string detail;  // which fields, in words
};

nlohmann::ordered_json to_json(const std::vector<Change>& changes);

class RealmBootstrap {
 public:
  explicit RealmBootstrap(RealmSettings settings,
                          idp::KeycloakProvider::ClientFactory factory = {});
  ~RealmBootstrap();
  RealmBootstrap(const RealmBootstrap&) = delete;
  RealmBootstrap& operator=(const RealmBootstrap&) = delete;

  /// What differs from the wanted state; changes nothing.
  core::Result<std::vector<Change>> plan();
  /// Makes the changes plan() lists and returns them (empty: the realm was already right).
  /// Stops at the first failure; what was done before it stays done and the next run goes on.
  core::Result<std::vector<Change>> apply();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace iotfleet::bootstrap
