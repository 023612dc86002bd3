#include "idp/keycloak_admin.hpp"

#include <algorithm>

namespace iotfleet::idp::detail {
namespace {

using Clock = std::chrono::steady_clock;

std::string printable(std::string_view s, std::size_t limit) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

}  // namespace

std::string string_field(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return "";
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string keycloak_message(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    for (const char* field : {"errorMessage", "error_description", "error"}) {
      const auto it = j.find(field);
      if (it != j.end() && it->is_string() && !it->get<std::string>().empty())
        return printable(it->get<std::string>(), 200);
    }
    return "";
  }
  // Not JSON (a proxy's error page): the start of it, if it is short text.
  return body.size() <= 200 ? printable(body, 200) : "";
}

KeycloakAdmin::KeycloakAdmin(KeycloakSettings settings, KeycloakProvider::ClientFactory factory)
    : s_(std::move(settings)), factory_(std::move(factory)) {
  if (!factory_)
    factory_ = [](const HttpOptions& o) -> std::unique_ptr<HttpClient> {
      return std::make_unique<CurlHttpClient>(o);
    };
}

KeycloakAdmin::Lease::~Lease() {
  std::lock_guard lock(admin_.pool_mutex_);
  admin_.idle_.push_back(std::move(client_));
}

KeycloakAdmin::Lease KeycloakAdmin::lease() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(client));
    }
  }
  return Lease(*this, factory_(s_.http));
}

core::Error KeycloakAdmin::transport_error(const core::Error& cause,
                                           const std::string& what) const {
  const std::string where = "Keycloak at " + s_.base_url;
  if (cause.kind == core::ErrorKind::failure)  // TLS: retrying will not help
    return core::Error::failure(where + ": " + what + ": " + cause.message,
                                "for a private CA, set KEYCLOAK_CA_FILE to its certificate (PEM)");
  if (cause.kind == core::ErrorKind::usage)
    return core::Error::usage("KEYCLOAK_BASE_URL: " + cause.message);
  return core::Error::unavailable(
      where + " is unavailable (" + what + "): " + cause.message,
      "check KEYCLOAK_BASE_URL and that Keycloak is running; retry is safe");
}

core::Error KeycloakAdmin::status_error(const HttpResponse& r, const std::string& what) const {
  std::string message = "Keycloak answered " + std::to_string(r.status) + " to " + what;
  const std::string detail = keycloak_message(r.body);
  if (!detail.empty()) message += ": " + detail;
  if (r.status >= 500)
    return core::Error::unavailable(message, "Keycloak is failing; retry is safe");
  if ((r.status == 401 || r.status == 403) && !s_.admin_username.empty())
    return core::Error::failure(message, "the realm administrator '" + s_.admin_username +
                                             "' needs the realm-management role realm-admin");
  if (r.status == 401 || r.status == 403)
    return core::Error::failure(message, "the admin client '" + s_.admin_client_id +
                                             "' needs the realm-management role manage-clients");
  if (r.status == 404) return core::Error::not_found(message);
  if (r.status == 409) return core::Error::conflict(message);
  return core::Error::failure(message);
}

core::Result<nlohmann::json> KeycloakAdmin::parse_json(const HttpResponse& r,
                                                       const std::string& what) const {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    return core::Error::failure("Keycloak at " + s_.base_url + " answered " + what +
                                " with something that is not JSON");
  return j;
}

core::Result<KeycloakAdmin::Token> KeycloakAdmin::admin_token(HttpClient& http) {
  std::lock_guard lock(token_mutex_);
  if (!token_.empty() && Clock::now() < token_expiry_) return Token{token_, token_generation_};
  token_.clear();
  const bool user_login = !s_.admin_username.empty();
  const std::string what =
      user_login ? "the login of realm administrator '" + s_.admin_username + "'"
                 : "the admin token request of client '" + s_.admin_client_id + "'";
  HttpRequest req;
  req.method = "POST";
  req.url = user_login ? s_.login_token_url() : s_.token_url();
  req.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
  req.body = user_login ? form_encode({{"grant_type", "password"},
                                       {"client_id", s_.login_client_id},
                                       {"username", s_.admin_username},
                                       {"password", s_.admin_password}})
                        : form_encode({{"grant_type", "client_credentials"},
                                       {"client_id", s_.admin_client_id},
                                       {"client_secret", s_.admin_client_secret}});
  auto r = http.send(req);
  if (!r) return transport_error(r.error(), what);
  if (user_login && r->status == 404)
    return core::Error::failure(
        "Keycloak at " + s_.base_url + " has no realm '" + s_.login_realm + "' to log in to (404)",
        "check KEYCLOAK_ADMIN_LOGIN_REALM; Keycloak before 17 also needs KEYCLOAK_BASE_PATH=/auth");
  if (user_login && (r->status == 400 || r->status == 401)) {
    std::string message = "Keycloak refused the login of realm administrator '" +
                          s_.admin_username + "' (" + std::to_string(r->status);
    const std::string detail = keycloak_message(r->body);
    message += detail.empty() ? ")" : ": " + detail + ")";
    return core::Error::usage(message, "check KEYCLOAK_ADMIN_USERNAME and KEYCLOAK_ADMIN_PASSWORD "
                                       "(a user of realm '" + s_.login_realm + "')");
  }
  if (r->status == 404)
    return core::Error::failure(
        "Keycloak at " + s_.base_url + " has no realm '" + s_.realm + "' (404)",
        "check KEYCLOAK_REALM; Keycloak before 17 also needs KEYCLOAK_BASE_PATH=/auth");
  if (r->status == 400 || r->status == 401) {
    std::string message = "Keycloak refused the admin client '" + s_.admin_client_id + "' (" +
                          std::to_string(r->status);
    const std::string detail = keycloak_message(r->body);
    message += detail.empty() ? ")" : ": " + detail + ")";
    return core::Error::failure(
        message,
        "check KEYCLOAK_ADMIN_CLIENT_ID and KEYCLOAK_ADMIN_CLIENT_SECRET; the client needs "
        "service accounts enabled");
  }
  if (r->status != 200) return status_error(*r, what);
  auto j = parse_json(*r, what);
  if (!j) return j.error();
  const auto token = j->find("access_token");
  if (token == j->end() || !token->is_string() || token->get<std::string>().empty())
    return core::Error::failure("Keycloak's answer to " + what + " has no access_token");
  long expires_in = 60;
  if (const auto e = j->find("expires_in"); e != j->end() && e->is_number_integer())
    expires_in = e->get<long>();
  expires_in = std::clamp(expires_in, 1L, 86400L);
  // Refresh shortly before Keycloak would refuse it: a request must not carry a token that
  // expires on its way.
  const long margin = std::min(30L, expires_in / 2);
  token_ = token->get<std::string>();
  token_expiry_ = Clock::now() + std::chrono::seconds(expires_in - margin);
  ++token_generation_;
  return Token{token_, token_generation_};
}

void KeycloakAdmin::invalidate(std::uint64_t generation) {
  std::lock_guard lock(token_mutex_);
  // Another thread may already have replaced the token that was refused.
  if (generation == token_generation_) token_.clear();
}

core::Result<HttpResponse> KeycloakAdmin::call(HttpClient& http, const std::string& method,
                                               const std::string& path, const std::string& what,
                                               const nlohmann::json* body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = admin_token(http);
    if (!token) return token.error();
    HttpRequest req;
    req.method = method;
    req.url = s_.admin_url() + path;
    req.headers = {"Authorization: Bearer " + token->value, "Accept: application/json"};
    if (body) {
      req.headers.emplace_back("Content-Type: application/json");
      req.body = body->dump();
    }
    auto r = http.send(req);
    if (!r) return transport_error(r.error(), what);
    if (r->status == 401 && attempt == 0) {
      invalidate(token->generation);
      continue;
    }
    if (r->status >= 500) return status_error(*r, what);
    return r;
  }
  return core::Error::failure("Keycloak refused a fresh admin token (401) for " + what,
                              "check that the admin client '" + s_.admin_client_id +
                                  "' has the realm-management role manage-clients");
}

core::Result<std::optional<nlohmann::json>> KeycloakAdmin::find_client(
    HttpClient& http, const std::string& client_id) {
  const std::string what = "find client '" + client_id + "'";
  auto r = call(http, "GET", "/clients?clientId=" + url_encode(client_id), what);
  if (!r) return r.error();
  if (r->status != 200) return status_error(*r, what);
  auto list = parse_json(*r, what);
  if (!list) return list.error();
  if (!list->is_array())
    return core::Error::failure("Keycloak's answer to " + what + " is not a list");
  for (const auto& c : *list) {
    // The query is an exact match on Keycloak 17+; check anyway, a prefix search would be fatal.
    if (!c.is_object() || string_field(c, "clientId") != client_id) continue;
    const auto id = c.find("id");
    if (id == c.end() || !id->is_string())
      return core::Error::failure("Keycloak's answer to " + what + " has no id");
    remember(client_id, id->get<std::string>());
    return std::optional<nlohmann::json>(c);
  }
  forget(client_id);
  return std::optional<nlohmann::json>();
}

core::Result<std::optional<std::string>> KeycloakAdmin::client_uuid(HttpClient& http,
                                                                    const std::string& client_id,
                                                                    bool refresh) {
  if (!refresh) {
    std::lock_guard lock(cache_mutex_);
    if (const auto it = uuids_.find(client_id); it != uuids_.end())
      return std::optional(it->second);
  }
  auto found = find_client(http, client_id);
  if (!found) return found.error();
  if (!*found) return std::optional<std::string>();
  return std::optional((**found)["id"].get<std::string>());
}

void KeycloakAdmin::remember(const std::string& client_id, const std::string& uuid) {
  std::lock_guard lock(cache_mutex_);
  uuids_[client_id] = uuid;
}

void KeycloakAdmin::forget(const std::string& client_id) {
  std::lock_guard lock(cache_mutex_);
  uuids_.erase(client_id);
}

core::Result<std::string> KeycloakAdmin::device_scope_id(HttpClient& http) {
  {
    std::lock_guard lock(cache_mutex_);
    if (scope_id_) return *scope_id_;
  }
  const std::string what = "list client scopes";
  auto r = call(http, "GET", "/client-scopes", what);
  if (!r) return r.error();
  if (r->status != 200) return status_error(*r, what);
  auto list = parse_json(*r, what);
  if (!list) return list.error();
  if (list->is_array()) {
    for (const auto& scope : *list) {
      if (!scope.is_object() || string_field(scope, "name") != s_.device_scope) continue;
      const auto id = scope.find("id");
      if (id == scope.end() || !id->is_string()) break;
      std::lock_guard lock(cache_mutex_);
      scope_id_ = id->get<std::string>();
      return *scope_id_;
    }
  }
  return core::Error::failure(
      "Keycloak realm '" + s_.realm + "' has no client scope '" + s_.device_scope + "'",
      "create it with an audience mapper (iot-bootstrap-org does), or set "
      "KEYCLOAK_DEVICE_SCOPE to the scope that carries the endpoint's audience");
}

}  // namespace iotfleet::idp::detail
