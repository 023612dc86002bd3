#include "bootstrap/keycloak_realm.hpp"

#include <functional>

#include "core/encoding.hpp"
#include "idp/keycloak_admin.hpp"

namespace iotfleet::bootstrap {
namespace {

using idp::url_encode;
using idp::detail::string_field;
using nlohmann::json;

// A field of a client representation the toolkit needs, and the value Keycloak's representation
// is taken to have when it leaves the field out.
struct Field {
  const char* name;
  json want;
  json when_missing;
};

std::vector<Field> audience_client_fields() {
  return {{"enabled", true, false},
          {"protocol", "openid-connect", "openid-connect"},
          {"publicClient", false, false},
          {"bearerOnly", false, false},
          {"serviceAccountsEnabled", false, false},
          {"standardFlowEnabled", false, true},
          {"implicitFlowEnabled", false, false},
          {"directAccessGrantsEnabled", false, true}};
}

std::vector<Field> admin_client_fields() {
  return {{"enabled", true, false},
          {"protocol", "openid-connect", "openid-connect"},
          {"publicClient", false, false},
          {"bearerOnly", false, false},
          {"serviceAccountsEnabled", true, false},
          {"standardFlowEnabled", false, true},
          {"implicitFlowEnabled", false, false},
          {"directAccessGrantsEnabled", false, true},
          {"clientAuthenticatorType", "client-secret", "client-secret"}};
}

std::vector<std::string> differing(const json& rep, const std::vector<Field>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    const auto it = rep.find(f.name);
    if ((it != rep.end() ? *it : f.when_missing) != f.want) out.emplace_back(f.name);
  }
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The config an audience mapper must have, and the keys of `config` that differ from it.
json mapper_config(const std::string& audience) {
  return {{"included.client.audience", audience},
          {"id.token.claim", "false"},
          {"access.token.claim", "true"}};
}

bool carries_audience(const json& mapper, const std::string& audience) {
  if (string_field(mapper, "protocolMapper") != "oidc-audience-mapper") return false;
  const json config = mapper.value("config", json::object());
  return string_field(config, "included.client.audience") == audience &&
         string_field(config, "access.token.claim") == "true";
}

std::vector<std::string> differing_config(const json& mapper, const std::string& audience) {
  std::vector<std::string> out;
  if (string_field(mapper, "protocolMapper") != "oidc-audience-mapper")
    out.emplace_back("protocolMapper");
  const json config = mapper.value("config", json::object());
  const json wanted = mapper_config(audience);
  for (const auto& [k, v] : wanted.items())
    if (string_field(config, k.c_str()) != v.get<std::string>()) out.push_back(k);
  return out;
}

std::string last_segment(const std::string& location) {
  std::string path = location.substr(0, location.find('?'));
  while (!path.empty() && path.back() == '/') path.pop_back();
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

core::Result<RealmSettings> RealmSettings::load(const core::Config& config,
                                                const RealmFlags& flags) {
  return core::capture([&]() -> core::Result<RealmSettings> {
    RealmSettings s;
    auto kc_flags = flags.keycloak;
    kc_flags.realm_admin_login = true;
    s.keycloak = idp::KeycloakSettings::load(config, kc_flags).take();
    s.keycloak.admin_username = config.require(kKeycloakAdminUsername).take();
    s.keycloak.admin_password = config.require(kKeycloakAdminPassword).take();
    s.keycloak.login_realm = config.require(kKeycloakLoginRealm, flags.login_realm).take();
    s.spec.audience = config.require(kEndpointAudience, flags.audience).take();
    if (s.spec.audience == s.keycloak.admin_client_id)
      return core::Error::usage(
          "OIDC_AUDIENCE and KEYCLOAK_ADMIN_CLIENT_ID must name different "
          "clients, both are '" +
          s.spec.audience + "'");
    return s;
  });
}

nlohmann::ordered_json to_json(const std::vector<Change>& changes) {
  auto list = nlohmann::ordered_json::array();
  for (const auto& c : changes)
    list.push_back({{"object", c.object}, {"action", c.action}, {"detail", c.detail}});
  return list;
}

struct RealmBootstrap::Impl {
  Impl(RealmSettings s, idp::KeycloakProvider::ClientFactory f)
      : spec(std::move(s.spec)), admin(std::move(s.keycloak), std::move(f)) {}

  struct Step {
    Change change;
    std::function<core::Status(idp::HttpClient&)> run;
  };

  RealmSpec spec;
  idp::detail::KeycloakAdmin admin;

  const idp::KeycloakSettings& kc() const { return admin.settings(); }

  core::Result<json> get_json(idp::HttpClient& http, const std::string& path,
                              const std::string& what) {
    auto r = admin.call(http, "GET", path, what);
    if (!r) return r.error();
    if (r->status != 200) return admin.status_error(*r, what);
    return admin.parse_json(*r, what);
  }

  core::Status expect_status(const core::Result<idp::HttpResponse>& r, const std::string& what,
                             std::initializer_list<long> ok) {
    if (!r) return r.error();
    for (long s : ok)
      if (r->status == s) return core::ok_status();
    return admin.status_error(r.value(), what);
  }

  // -- clients --------------------------------------------------------------------------------
  core::Result<std::string> uuid_of(idp::HttpClient& http, const std::string& client_id) {
    auto uuid = admin.client_uuid(http, client_id);
    if (!uuid) return uuid.error();
    if (!*uuid)
      return core::Error::failure("Keycloak realm '" + kc().realm + "' has no client '" +
                                  client_id + "'");
    return **uuid;
  }

  core::Status create_client(idp::HttpClient& http, json body) {
    const std::string client_id = body["clientId"];
    const std::string what = "create client '" + client_id + "'";
    auto r = admin.call(http, "POST", "/clients", what, &body);
    if (!r) return r.error();
    if (r->status == 409) return core::ok_status();  // created meanwhile: the final check judges
    if (r->status != 201) return admin.status_error(*r, what);
    if (const auto location = r->header("Location"))
      admin.remember(client_id, last_segment(*location));
    return core::ok_status();
  }

  // Applies `patch` to the current representation and PUTs it (Keycloak applies what is present).
  core::Status update_client(idp::HttpClient& http, const std::string& client_id,
                             const json& patch) {
    auto uuid = uuid_of(http, client_id);
    if (!uuid) return uuid.error();
    auto rep = get_json(http, "/clients/" + url_encode(*uuid), "read client '" + client_id + "'");
    if (!rep) return rep.error();
    rep->update(patch);
    const std::string what = "update client '" + client_id + "'";
    return expect_status(admin.call(http, "PUT", "/clients/" + url_encode(*uuid), what, &*rep),
                         what, {204, 200});
  }

  static json wanted_body(const std::string& client_id, const std::vector<Field>& fields) {
    json body = {{"clientId", client_id}};
    for (const auto& f : fields) body[f.name] = f.want;
    return body;
  }

  core::Status plan_client(idp::HttpClient& http, const std::string& client_id,
                           const std::vector<Field>& fields, const std::string& purpose,
                           std::vector<Step>& steps, std::optional<json>* found) {
    auto rep = admin.find_client(http, client_id);
    if (!rep) return rep.error();
    *found = *rep;
    const std::string object = "client '" + client_id + "'";
    if (!*rep) {
      json body = wanted_body(client_id, fields);
      body["name"] = purpose;
      if (client_id == kc().admin_client_id && !kc().admin_client_secret.empty())
        body["secret"] = kc().admin_client_secret;
      steps.push_back({{object, "create", purpose},
                       [this, body](idp::HttpClient& h) { return create_client(h, body); }});
      return core::ok_status();
    }
    const auto diff = differing(**rep, fields);
    if (diff.empty()) return core::ok_status();
    json patch = json::object();
    for (const auto& f : fields)
      if (std::find(diff.begin(), diff.end(), f.name) != diff.end()) patch[f.name] = f.want;
    steps.push_back(
        {{object, "update", joined(diff)}, [this, client_id, patch](idp::HttpClient& h) {
           return update_client(h, client_id, patch);
         }});
    return core::ok_status();
  }

  // -- the device scope and its mapper -----------------------------------------------------------
  core::Result<std::optional<json>> find_scope(idp::HttpClient& http) {
    auto list = get_json(http, "/client-scopes", "list client scopes");
    if (!list) return list.error();
    if (list->is_array())
      for (const auto& s : *list)
        if (string_field(s, "name") == kc().device_scope) return std::optional<json>(s);
    return std::optional<json>();
  }

  core::Result<std::string> scope_id(idp::HttpClient& http) {
    auto scope = find_scope(http);
    if (!scope) return scope.error();
    if (!*scope || string_field(**scope, "id").empty())
      return core::Error::failure("Keycloak realm '" + kc().realm + "' has no client scope '" +
                                  kc().device_scope + "'");
    return string_field(**scope, "id");
  }

  json mapper_body() const {
    return {{"name", spec.mapper_name},
            {"protocol", "openid-connect"},
            {"protocolMapper", "oidc-audience-mapper"},
            {"consentRequired", false},
            {"config", mapper_config(spec.audience)}};
  }

  core::Status create_scope(idp::HttpClient& http) {
    const json body = {
        {"name", kc().device_scope},
        {"description", "Puts the IoT endpoint's audience '" + spec.audience +
                            "' into device tokens (iot-bootstrap-org)"},
        {"protocol", "openid-connect"},
        {"attributes",
         {{"include.in.token.scope", "false"}, {"display.on.consent.screen", "false"}}}};
    const std::string what = "create client scope '" + kc().device_scope + "'";
    auto r = admin.call(http, "POST", "/client-scopes", what, &body);
    if (r && r->status == 409) return core::ok_status();
    return expect_status(r, what, {201});
  }

  core::Status create_mapper(idp::HttpClient& http) {
    auto id = scope_id(http);
    if (!id) return id.error();
    const json body = mapper_body();
    const std::string what =
        "add mapper '" + spec.mapper_name + "' to client scope '" + kc().device_scope + "'";
    return expect_status(
        admin.call(http, "POST", "/client-scopes/" + url_encode(*id) + "/protocol-mappers/models",
                   what, &body),
        what, {201});
  }

  core::Status repair_mapper(idp::HttpClient& http, const std::string& mapper_id) {
    auto id = scope_id(http);
    if (!id) return id.error();
    json body = mapper_body();
    body["id"] = mapper_id;
    const std::string what =
        "repair mapper '" + spec.mapper_name + "' of client scope '" + kc().device_scope + "'";
    return expect_status(admin.call(http, "PUT",
                                    "/client-scopes/" + url_encode(*id) +
                                        "/protocol-mappers/models/" + url_encode(mapper_id),
                                    what, &body),
                         what, {204, 200});
  }

  core::Status plan_scope(idp::HttpClient& http, std::vector<Step>& steps) {
    const std::string object = "client scope '" + kc().device_scope + "'";
    const std::string mapper_object = "mapper '" + spec.mapper_name + "' of " + object;
    auto scope = find_scope(http);
    if (!scope) return scope.error();
    if (!*scope) {
      steps.push_back({{object, "create", "openid-connect"},
                       [this](idp::HttpClient& h) { return create_scope(h); }});
      steps.push_back(
          {{mapper_object, "create", "oidc-audience-mapper for '" + spec.audience + "'"},
           [this](idp::HttpClient& h) { return create_mapper(h); }});
      return core::ok_status();
    }
    if (string_field(**scope, "protocol") != "openid-connect")
      return core::Error::failure(
          object + " exists with protocol '" + string_field(**scope, "protocol") + "'",
          "rename or delete it, or set KEYCLOAK_DEVICE_SCOPE to another name");
    const std::string id = string_field(**scope, "id");
    auto mappers = get_json(http, "/client-scopes/" + url_encode(id) + "/protocol-mappers/models",
                            "list the mappers of " + object);
    if (!mappers) return mappers.error();
    const json* ours = nullptr;
    if (mappers->is_array()) {
      for (const auto& m : *mappers) {
        if (string_field(m, "name") == spec.mapper_name) ours = &m;
        if (carries_audience(m, spec.audience) && string_field(m, "name") != spec.mapper_name)
          return core::ok_status();  // someone else's mapper already does the job
      }
    }
    if (!ours) {
      steps.push_back(
          {{mapper_object, "create", "oidc-audience-mapper for '" + spec.audience + "'"},
           [this](idp::HttpClient& h) { return create_mapper(h); }});
      return core::ok_status();
    }
    const auto diff = differing_config(*ours, spec.audience);
    if (diff.empty()) return core::ok_status();
    const std::string mapper_id = string_field(*ours, "id");
    steps.push_back(
        {{mapper_object, "update", joined(diff)},
         [this, mapper_id](idp::HttpClient& h) { return repair_mapper(h, mapper_id); }});
    return core::ok_status();
  }

  // -- the admin client's secret and role ---------------------------------------------------------
  core::Status set_admin_secret(idp::HttpClient& http) {
    return update_client(http, kc().admin_client_id, {{"secret", kc().admin_client_secret}});
  }

  struct RoleContext {
    std::string user_id, management_uuid;
  };

  core::Result<RoleContext> role_context(idp::HttpClient& http) {
    auto uuid = uuid_of(http, kc().admin_client_id);
    if (!uuid) return uuid.error();
    auto user = get_json(http, "/clients/" + url_encode(*uuid) + "/service-account-user",
                         "read the service account of client '" + kc().admin_client_id + "'");
    if (!user) return user.error();
    auto management = uuid_of(http, "realm-management");
    if (!management) return management.error();
    const std::string user_id = string_field(*user, "id");
    if (user_id.empty())
      return core::Error::failure("Keycloak gave no id for the service account of client '" +
                                  kc().admin_client_id + "'");
    return RoleContext{user_id, *management};
  }

  std::string mapping_path(const RoleContext& c) const {
    return "/users/" + url_encode(c.user_id) + "/role-mappings/clients/" +
           url_encode(c.management_uuid);
  }

  core::Result<bool> has_role(idp::HttpClient& http, const RoleContext& c) {
    // The effective (composite) roles: realm-admin, for one, includes manage-clients.
    auto roles = get_json(http, mapping_path(c) + "/composite",
                          "read the roles of client '" + kc().admin_client_id + "'");
    if (!roles) return roles.error();
    if (roles->is_array())
      for (const auto& r : *roles)
        if (string_field(r, "name") == spec.admin_role) return true;
    return false;
  }

  core::Status grant_role(idp::HttpClient& http) {
    auto c = role_context(http);
    if (!c) return c.error();
    auto role = get_json(
        http,
        "/clients/" + url_encode(c->management_uuid) + "/roles/" + url_encode(spec.admin_role),
        "read role realm-management " + spec.admin_role);
    if (!role) return role.error();
    const json body = json::array({*role});
    const std::string what =
        "grant realm-management " + spec.admin_role + " to client '" + kc().admin_client_id + "'";
    return expect_status(admin.call(http, "POST", mapping_path(*c), what, &body), what, {204, 200});
  }

  core::Status plan_admin(idp::HttpClient& http, std::vector<Step>& steps) {
    std::optional<json> rep;
    auto st = plan_client(http, kc().admin_client_id, admin_client_fields(),
                          "IoT Fleet Toolkit administration (device clients)", steps, &rep);
    if (!st) return st;
    const std::string object = "client '" + kc().admin_client_id + "'";
    const Change grant{object, "grant role", "realm-management " + spec.admin_role};
    auto grant_step = [this](idp::HttpClient& h) { return grant_role(h); };
    if (!rep) {
      steps.push_back({grant, grant_step});
      return core::ok_status();
    }
    const std::string uuid = string_field(*rep, "id");
    if (!kc().admin_client_secret.empty()) {
      auto secret = get_json(http, "/clients/" + url_encode(uuid) + "/client-secret",
                             "read the secret of " + object);
      if (!secret) return secret.error();
      if (!core::constant_time_equal(core::as_bytes(string_field(*secret, "value")),
                                     core::as_bytes(kc().admin_client_secret)))
        steps.push_back({{object, "set secret", "KEYCLOAK_ADMIN_CLIENT_SECRET"},
                         [this](idp::HttpClient& h) { return set_admin_secret(h); }});
    }
    // Without a service account (yet), there is no user to look at: the update creates it.
    if (rep->value("serviceAccountsEnabled", false) != true) {
      steps.push_back({grant, grant_step});
      return core::ok_status();
    }
    auto c = role_context(http);
    if (!c) return c.error();
    auto has = has_role(http, *c);
    if (!has) return has.error();
    if (!*has) steps.push_back({grant, grant_step});
    return core::ok_status();
  }

  core::Result<std::vector<Step>> plan_steps(idp::HttpClient& http) {
    std::vector<Step> steps;
    std::optional<json> audience_rep;
    auto st = plan_client(http, spec.audience, audience_client_fields(),
                          "IoT device endpoint (audience of device tokens)", steps, &audience_rep);
    if (!st) return st.error();
    st = plan_scope(http, steps);
    if (!st) return st.error();
    st = plan_admin(http, steps);
    if (!st) return st.error();
    return steps;
  }

  static std::vector<Change> changes_of(const std::vector<Step>& steps) {
    std::vector<Change> out;
    for (const auto& s : steps) out.push_back(s.change);
    return out;
  }
};

RealmBootstrap::RealmBootstrap(RealmSettings settings, idp::KeycloakProvider::ClientFactory factory)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(factory))) {}
RealmBootstrap::~RealmBootstrap() = default;

core::Result<std::vector<Change>> RealmBootstrap::plan() {
  auto lease = impl_->admin.lease();
  auto steps = impl_->plan_steps(lease.http());
  if (!steps) return steps.error();
  return Impl::changes_of(*steps);
}

core::Result<std::vector<Change>> RealmBootstrap::apply() {
  auto lease = impl_->admin.lease();
  auto steps = impl_->plan_steps(lease.http());
  if (!steps) return steps.error();
  for (auto& step : *steps) {
    auto st = step.run(lease.http());
    if (!st)
      return core::Error{st.error().kind,
                         step.change.action + " " + step.change.object + ": " + st.error().message,
                         st.error().hint};
  }
  if (steps->empty()) return std::vector<Change>{};
  auto left = impl_->plan_steps(lease.http());
  if (!left) return left.error();
  if (!left->empty())
    return core::Error::failure(
        "Keycloak realm '" + impl_->kc().realm +
        "' still differs after the changes: " + left->front().change.action + " " +
        left->front().change.object + " (" + left->front().change.detail + ")");
  return Impl::changes_of(*steps);
}

}  // namespace iotfleet::bootstrap
