#include "idp/keycloak.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <thread>

#include "core/encoding.hpp"
#include "idp/keycloak_admin.hpp"

namespace iotfleet::idp {
namespace {

using detail::KeycloakAdmin;
using nlohmann::json;

std::optional<long> parse_int(const std::string& s) {
  long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

core::Result<long> require_range(const core::Setting& setting, const std::string& text, long lo,
                                 long hi) {
  const auto v = parse_int(text);
  if (!v || *v < lo || *v > hi)
    return core::Error::usage(std::string(setting.env) + " (" + std::string(setting.flag) +
                              ") must be a whole number from " + std::to_string(lo) + " to " +
                              std::to_string(hi) + ", not '" + text + "'");
  return *v;
}

// The settings every device client must have (specs/keycloak.md), with the value Keycloak's
// representation is taken to have when it leaves the field out.
struct Field {
  const char* name;
  json want;
  json when_missing;
};

std::vector<Field> wanted_fields(const IdentitySpec& spec) {
  return {{"enabled", true, false},
          {"protocol", "openid-connect", "openid-connect"},
          {"publicClient", false, false},
          {"bearerOnly", false, false},
          {"serviceAccountsEnabled", true, false},
          {"standardFlowEnabled", false, true},
          {"implicitFlowEnabled", false, false},
          {"directAccessGrantsEnabled", false, true},
          {"clientAuthenticatorType", "client-secret", "client-secret"},
          {"name", spec.name, ""},
          {"description", spec.description, ""}};
}

json new_client(const IdentitySpec& spec) {
  json body = {{"clientId", spec.client_id}, {"secret", spec.secret}};
  for (const auto& f : wanted_fields(spec)) body[f.name] = f.want;
  return body;
}

// The fields of `rep` that differ from the spec, as "field" names (never values: a name or
// description is harmless, but a uniform rule is easier to keep).
std::vector<std::string> differing_fields(const json& rep, const IdentitySpec& spec) {
  std::vector<std::string> out;
  for (const auto& f : wanted_fields(spec)) {
    const auto it = rep.find(f.name);
    const json& have = it != rep.end() ? *it : f.when_missing;
    if (have != f.want) out.emplace_back(f.name);
  }
  return out;
}

std::string last_segment(const std::string& location) {
  std::string path = location.substr(0, location.find('?'));
  while (!path.empty() && path.back() == '/') path.pop_back();
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

template <class T, class Fn>
std::vector<core::Result<T>> run_pool(std::size_t n, std::size_t concurrency, Fn&& fn,
                                      bool stop_on_error, const ProgressFn& progress) {
  std::vector<std::optional<core::Result<T>>> slots(n);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex progress_mutex;
  std::size_t done = 0;
  auto worker = [&] {
    for (std::size_t i; (i = next++) < n;) {
      if (stop) {
        slots[i].emplace(core::Error::unavailable("not attempted after an earlier failure"));
        continue;
      }
      try {
        slots[i].emplace(fn(i));
      } catch (const core::Failure& f) {  // nothing may escape a worker thread
        slots[i].emplace(f.error());
      } catch (const std::exception& e) {
        slots[i].emplace(core::Error::failure(std::string("unexpected error: ") + e.what()));
      }
      if (!slots[i]->ok() && stop_on_error) stop = true;
      std::lock_guard lock(progress_mutex);
      ++done;
      if (progress) progress(done, n);
    }
  };
  const std::size_t threads = std::clamp<std::size_t>(concurrency, 1, std::max<std::size_t>(n, 1));
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  }
  std::vector<core::Result<T>> out;
  out.reserve(n);
  for (auto& s : slots) out.push_back(std::move(*s));
  return out;
}

}  // namespace

core::Result<KeycloakSettings> KeycloakSettings::load(const core::Config& config,
                                                      const KeycloakFlags& flags) {
  return core::capture([&]() -> core::Result<KeycloakSettings> {
    KeycloakSettings s;
    std::string url = config.require(kKeycloakUrl, flags.url).take();
    if (!url.starts_with("https://") && !url.starts_with("http://"))
      return core::Error::usage("KEYCLOAK_BASE_URL must be an http:// or https:// URL, not '" +
                                url + "'");
    while (url.ends_with('/')) url.pop_back();
    std::string path = config.get(kKeycloakBasePath, flags.base_path).value_or("");
    while (path.ends_with('/')) path.pop_back();
    if (!path.empty() && !path.starts_with('/')) path.insert(path.begin(), '/');
    s.base_url = url + path;
    s.realm = config.require(kKeycloakRealm, flags.realm).take();
    s.admin_client_id = config.require(kKeycloakAdminClientId, flags.admin_client_id).take();
    s.admin_client_secret = flags.realm_admin_login
                                ? config.get(kKeycloakAdminClientSecret).value_or("")
                                : config.require(kKeycloakAdminClientSecret).take();
    s.device_scope = config.require(kKeycloakDeviceScope, flags.device_scope).take();
    s.http.ca_file = config.get(kKeycloakCaFile, flags.ca_file).value_or("");
    const long timeout =
        require_range(kKeycloakTimeout, config.require(kKeycloakTimeout, flags.timeout).take(), 1,
                      300)
            .take();
    s.http.timeout = std::chrono::seconds(timeout);
    s.http.connect_timeout = std::chrono::seconds(std::min(timeout, 5L));
    s.concurrency = static_cast<std::size_t>(
        require_range(kKeycloakConcurrency,
                      config.require(kKeycloakConcurrency, flags.concurrency).take(), 1, 64)
            .take());
    return s;
  });
}

std::string KeycloakSettings::realm_url() const {
  return base_url + "/realms/" + url_encode(realm);
}
std::string KeycloakSettings::admin_url() const {
  return base_url + "/admin/realms/" + url_encode(realm);
}
std::string KeycloakSettings::token_url() const {
  return realm_url() + "/protocol/openid-connect/token";
}
std::string KeycloakSettings::login_token_url() const {
  return base_url + "/realms/" + url_encode(login_realm) + "/protocol/openid-connect/token";
}

struct KeycloakProvider::Impl {
  explicit Impl(KeycloakSettings s, ClientFactory f) : admin(std::move(s), std::move(f)) {}
  KeycloakAdmin admin;

  core::Status attach_scope(HttpClient& http, const std::string& uuid,
                            const std::string& client_id) {
    auto scope = admin.device_scope_id(http);
    if (!scope) return scope.error();
    const std::string what =
        "attach scope '" + admin.settings().device_scope + "' to client '" + client_id + "'";
    auto r = admin.call(
        http, "PUT",
        "/clients/" + url_encode(uuid) + "/default-client-scopes/" + url_encode(*scope), what);
    if (!r) return r.error();
    if (r->status != 204 && r->status != 200) return admin.status_error(*r, what);
    return core::ok_status();
  }

  // Whether the device scope is among the client's default scopes (the representation lists
  // their names on every supported version; ask the sub-resource if it does not).
  core::Result<bool> has_scope(HttpClient& http, const json& rep) {
    const std::string& wanted = admin.settings().device_scope;
    if (const auto it = rep.find("defaultClientScopes"); it != rep.end() && it->is_array())
      return std::find(it->begin(), it->end(), json(wanted)) != it->end();
    const std::string what =
        "list the default scopes of client '" + detail::string_field(rep, "clientId") + "'";
    auto r = admin.call(
        http, "GET",
        "/clients/" + url_encode(rep["id"].get<std::string>()) + "/default-client-scopes", what);
    if (!r) return r.error();
    if (r->status != 200) return admin.status_error(*r, what);
    auto list = admin.parse_json(*r, what);
    if (!list) return list.error();
    for (const auto& s : *list)
      if (s.is_object() && detail::string_field(s, "name") == wanted) return true;
    return false;
  }

  core::Result<std::string> secret_of(HttpClient& http, const std::string& uuid,
                                      const std::string& client_id) {
    const std::string what = "read the secret of client '" + client_id + "'";
    auto r = admin.call(http, "GET", "/clients/" + url_encode(uuid) + "/client-secret", what);
    if (!r) return r.error();
    if (r->status != 200) return admin.status_error(*r, what);
    auto j = admin.parse_json(*r, what);
    if (!j) return j.error();
    const auto value = j->find("value");
    if (!j->is_object() || value == j->end() || !value->is_string())
      return core::Error::failure("Keycloak's answer to " + what + " has no secret value");
    return value->get<std::string>();
  }

  core::Status put_client(HttpClient& http, json rep, const std::string& secret,
                          const IdentitySpec* spec) {
    const std::string client_id = detail::string_field(rep, "clientId");
    if (spec)
      for (const auto& f : wanted_fields(*spec)) rep[f.name] = f.want;
    rep["secret"] = secret;
    const std::string what = "update client '" + client_id + "'";
    auto r =
        admin.call(http, "PUT", "/clients/" + url_encode(rep["id"].get<std::string>()), what, &rep);
    if (!r) return r.error();
    if (r->status != 204 && r->status != 200) return admin.status_error(*r, what);
    return core::ok_status();
  }

  // What differs between an existing client and the spec: field names, "secret", "default scope".
  core::Result<std::vector<std::string>> diff(HttpClient& http, const json& rep,
                                              const IdentitySpec& spec, bool& secret_differs,
                                              bool& scope_missing) {
    auto out = differing_fields(rep, spec);
    auto secret = secret_of(http, rep["id"].get<std::string>(), spec.client_id);
    if (!secret) return secret.error();
    secret_differs =
        !core::constant_time_equal(core::as_bytes(*secret), core::as_bytes(spec.secret));
    if (secret_differs) out.emplace_back("secret");
    auto scope = has_scope(http, rep);
    if (!scope) return scope.error();
    scope_missing = !*scope;
    if (scope_missing) out.push_back("default scope '" + admin.settings().device_scope + "'");
    return out;
  }

  core::Result<EnsureResult> adopt(HttpClient& http, const json& rep, const IdentitySpec& spec) {
    bool secret_differs = false, scope_missing = false;
    auto changes = diff(http, rep, spec, secret_differs, scope_missing);
    if (!changes) return changes.error();
    const bool fields_differ =
        changes->size() > (secret_differs ? 1u : 0u) + (scope_missing ? 1u : 0u);
    if (secret_differs || fields_differ)
      if (auto s = put_client(http, rep, spec.secret, &spec); !s) return s.error();
    if (scope_missing)
      if (auto s = attach_scope(http, rep["id"].get<std::string>(), spec.client_id); !s)
        return s.error();
    EnsureResult result{spec.client_id, changes->empty() ? Outcome::unchanged : Outcome::repaired,
                        std::move(*changes)};
    return result;
  }

  core::Result<EnsureResult> create(HttpClient& http, const IdentitySpec& spec) {
    // Resolve the scope first: a realm without it fails before anything is created.
    if (auto scope = admin.device_scope_id(http); !scope) return scope.error();
    const std::string what = "create client '" + spec.client_id + "'";
    const json body = new_client(spec);
    auto r = admin.call(http, "POST", "/clients", what, &body);
    if (!r) return r.error();
    if (r->status == 409) {
      auto found = admin.find_client(http, spec.client_id);
      if (!found) return found.error();
      if (!*found)
        return core::Error::conflict(what +
                                     ": Keycloak reports it exists but cannot find it; retry");
      return adopt(http, **found, spec);
    }
    if (r->status != 201) return admin.status_error(*r, what);
    std::string uuid = last_segment(r->header("location").value_or(""));
    if (uuid.empty()) {
      auto id = admin.client_uuid(http, spec.client_id, true);
      if (!id) return id.error();
      if (!*id)
        return core::Error::failure(what +
                                    ": Keycloak answered 201 but the client cannot be found");
      uuid = **id;
    }
    admin.remember(spec.client_id, uuid);
    if (auto s = attach_scope(http, uuid, spec.client_id); !s) {
      // Do not leave a half-configured client behind: its tokens would lack the audience.
      (void)admin.call(http, "DELETE", "/clients/" + url_encode(uuid),
                       "delete client '" + spec.client_id + "'");
      admin.forget(spec.client_id);
      return s.error();
    }
    return EnsureResult{spec.client_id, Outcome::created, {}};
  }

  core::Result<bool> remove(HttpClient& http, const std::string& client_id) {
    for (bool refresh : {false, true}) {
      auto uuid = admin.client_uuid(http, client_id, refresh);
      if (!uuid) return uuid.error();
      if (!*uuid) return false;
      const std::string what = "delete client '" + client_id + "'";
      auto r = admin.call(http, "DELETE", "/clients/" + url_encode(**uuid), what);
      if (!r) return r.error();
      admin.forget(client_id);
      if (r->status == 204 || r->status == 200) return true;
      if (r->status != 404) return admin.status_error(*r, what);
      // 404: the cached UUID was stale (deleted and re-created elsewhere): look it up again.
    }
    return false;
  }

  // Runs fn(uuid) → HttpResponse; a 404 from a cached UUID looks the client up once more.
  template <class Fn>
  core::Result<HttpResponse> with_uuid(HttpClient& http, const std::string& client_id, Fn&& fn) {
    for (bool refresh : {false, true}) {
      auto uuid = admin.client_uuid(http, client_id, refresh);
      if (!uuid) return uuid.error();
      if (!*uuid) break;
      auto r = fn(**uuid);
      if (!r || r->status != 404) return r;
      admin.forget(client_id);
    }
    return core::Error::not_found("Keycloak has no client '" + client_id + "'",
                                  "re-create it with 'iot-provision device sync <key>'");
  }
};

KeycloakProvider::KeycloakProvider(KeycloakSettings settings, ClientFactory factory)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(factory))) {}

KeycloakProvider::~KeycloakProvider() = default;

const KeycloakSettings& KeycloakProvider::settings() const { return impl_->admin.settings(); }

core::Status KeycloakProvider::check() {
  auto lease = impl_->admin.lease();
  auto scope = impl_->admin.device_scope_id(lease.http());
  if (!scope) return scope.error();
  return core::ok_status();
}

core::Result<EnsureResult> KeycloakProvider::create(const IdentitySpec& spec) {
  auto lease = impl_->admin.lease();
  return impl_->create(lease.http(), spec);
}

core::Result<bool> KeycloakProvider::exists(const std::string& client_id) {
  auto lease = impl_->admin.lease();
  auto found = impl_->admin.find_client(lease.http(), client_id);
  if (!found) return found.error();
  return found->has_value();
}

core::Result<std::string> KeycloakProvider::read_secret(const std::string& client_id) {
  auto lease = impl_->admin.lease();
  const std::string what = "read the secret of client '" + client_id + "'";
  auto r = impl_->with_uuid(lease.http(), client_id, [&](const std::string& uuid) {
    return impl_->admin.call(lease.http(), "GET", "/clients/" + url_encode(uuid) + "/client-secret",
                             what);
  });
  if (!r) return r.error();
  if (r->status != 200) return impl_->admin.status_error(*r, what);
  auto j = impl_->admin.parse_json(*r, what);
  if (!j) return j.error();
  if (!j->is_object() || !j->contains("value") || !(*j)["value"].is_string())
    return core::Error::failure("Keycloak's answer to " + what + " has no secret value");
  return (*j)["value"].get<std::string>();
}

core::Status KeycloakProvider::set_secret(const std::string& client_id, const std::string& secret) {
  auto lease = impl_->admin.lease();
  auto found = impl_->admin.find_client(lease.http(), client_id);
  if (!found) return found.error();
  if (!*found)
    return core::Error::not_found("Keycloak has no client '" + client_id + "'",
                                  "re-create it with 'iot-provision device sync <key>'");
  return impl_->put_client(lease.http(), **found, secret, nullptr);
}

core::Result<std::string> KeycloakProvider::regenerate(const std::string& client_id) {
  auto lease = impl_->admin.lease();
  const std::string what = "regenerate the secret of client '" + client_id + "'";
  auto r = impl_->with_uuid(lease.http(), client_id, [&](const std::string& uuid) {
    return impl_->admin.call(lease.http(), "POST",
                             "/clients/" + url_encode(uuid) + "/client-secret", what);
  });
  if (!r) return r.error();
  if (r->status != 200) return impl_->admin.status_error(*r, what);
  auto j = impl_->admin.parse_json(*r, what);
  if (!j) return j.error();
  if (!j->is_object() || !j->contains("value") || !(*j)["value"].is_string())
    return core::Error::failure("Keycloak's answer to " + what + " has no secret value");
  return (*j)["value"].get<std::string>();
}

core::Result<bool> KeycloakProvider::remove(const std::string& client_id) {
  auto lease = impl_->admin.lease();
  return impl_->remove(lease.http(), client_id);
}

core::Result<IdentityCheck> KeycloakProvider::inspect(const IdentitySpec& spec) {
  auto lease = impl_->admin.lease();
  auto found = impl_->admin.find_client(lease.http(), spec.client_id);
  if (!found) return found.error();
  IdentityCheck check;
  if (!*found) return check;
  check.exists = true;
  bool secret_differs = false, scope_missing = false;
  auto changes = impl_->diff(lease.http(), **found, spec, secret_differs, scope_missing);
  if (!changes) return changes.error();
  for (const auto& c : *changes) {
    if (c == "secret")
      check.problems.emplace_back("the secret differs from the toolkit's copy");
    else if (c.starts_with("default scope"))
      check.problems.push_back(c + " is not attached");
    else
      check.problems.push_back("'" + c + "' differs from the device client settings");
  }
  return check;
}

std::vector<core::Result<EnsureResult>> KeycloakProvider::create_many(
    const std::vector<IdentitySpec>& specs, const ProgressFn& progress) {
  // Resolve the token and scope once before fanning out, so N workers do not all race for them.
  if (!specs.empty()) {
    if (auto s = check(); !s) {
      std::vector<core::Result<EnsureResult>> out;
      for (std::size_t i = 0; i < specs.size(); ++i) out.emplace_back(s.error());
      return out;
    }
  }
  return run_pool<EnsureResult>(
      specs.size(), settings().concurrency, [&](std::size_t i) { return create(specs[i]); }, true,
      progress);
}

std::vector<core::Result<bool>> KeycloakProvider::remove_many(
    const std::vector<std::string>& client_ids) {
  return run_pool<bool>(client_ids.size(), settings().concurrency,
                        [&](std::size_t i) { return remove(client_ids[i]); }, false, {});
}

}  // namespace iotfleet::idp
