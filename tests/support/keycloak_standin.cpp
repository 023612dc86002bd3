#include "support/keycloak_standin.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "idp/http.hpp"

namespace iotfleet::test_support {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

KeycloakStandin::KeycloakStandin() : KeycloakStandin(Options{}) {}

KeycloakStandin::KeycloakStandin(Options options) : options_(std::move(options)) {
  const std::string port_file = (dir_.path() / "port").string(),
                    log = (dir_.path() / "log").string();
  std::vector<std::string> args = {
      "/usr/bin/python3", std::string(IOT_SOURCE_DIR) + "/tests/support/keycloak_standin.py",
      "--port-file",      port_file,
      "--realm",          options_.realm,
      "--base-path",      options_.base_path,
      "--device-scope",   options_.device_scope,
      "--audience",       options_.audience,
      "--claim-style",    options_.claim_style};
  if (!options_.tls_cert.empty()) {
    args.insert(args.end(), {"--tls-cert", options_.tls_cert, "--tls-key", options_.tls_key});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    execv(argv[0], argv.data());
    std::perror("exec /usr/bin/python3");
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the Keycloak stand-in did not start: " + slurp(log));
    }
    const std::string text = slurp(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = std::stoi(text);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  throw std::runtime_error("the Keycloak stand-in did not write its port within 30 s: " +
                           slurp(log));
}

KeycloakStandin::~KeycloakStandin() { stop(); }

void KeycloakStandin::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string KeycloakStandin::url() const {
  return std::string(options_.tls_cert.empty() ? "http" : "https") + "://" +
         (options_.tls_cert.empty() ? "127.0.0.1" : "localhost") + ":" + std::to_string(port_);
}

std::string KeycloakStandin::issuer() const {
  return url() + options_.base_path + "/realms/" + options_.realm;
}

std::map<std::string, std::string> KeycloakStandin::env() const {
  std::map<std::string, std::string> e{{"KEYCLOAK_BASE_URL", url()},
                                       {"KEYCLOAK_REALM", options_.realm},
                                       {"KEYCLOAK_ADMIN_CLIENT_ID", kAdminClientId},
                                       {"KEYCLOAK_ADMIN_CLIENT_SECRET", kAdminClientSecret},
                                       {"OIDC_TOKEN_URL", token_url()}};
  if (!options_.base_path.empty()) e["KEYCLOAK_BASE_PATH"] = options_.base_path;
  return e;
}

nlohmann::json KeycloakStandin::http(const std::string& method, const std::string& target,
                                     const std::string& body, long* status,
                                     const std::vector<std::string>& headers) {
  idp::HttpOptions o;
  o.timeout = std::chrono::seconds(30);
  if (!options_.tls_cert.empty()) o.ca_file = options_.tls_cert;
  idp::CurlHttpClient client(o);
  auto r = client.send({method, target, headers, body});
  if (!r) throw std::runtime_error("stand-in request " + target + " failed: " + r.error().message);
  if (status)
    *status = r->status;
  else if (r->status / 100 != 2)
    throw std::runtime_error("stand-in " + target + " answered " + std::to_string(r->status) +
                             ": " + r->body);
  if (r->body.empty()) return nullptr;
  return nlohmann::json::parse(r->body);
}

nlohmann::json KeycloakStandin::state() { return http("GET", url() + "/_standin/state", ""); }

std::optional<nlohmann::json> KeycloakStandin::client(const std::string& client_id) {
  const auto s = state();
  for (const auto& c : s["clients"])
    if (c["clientId"] == client_id) return c;
  return std::nullopt;
}

std::size_t KeycloakStandin::device_client_count() {
  std::size_t n = 0;
  const auto s = state();
  for (const auto& c : s["clients"])
    if (c["clientId"].get<std::string>().starts_with("iotdevice-")) ++n;
  return n;
}

long KeycloakStandin::counter(const std::string& name) {
  const auto s = state();
  return s["counters"].value(name, 0L);
}

nlohmann::json KeycloakStandin::control(const std::string& what, const nlohmann::json& body) {
  return http("POST", url() + "/_standin/" + what, body.dump(), nullptr,
              {"Content-Type: application/json"});
}

std::string KeycloakStandin::mint(const nlohmann::json& request) {
  return control("mint", request)["token"];
}

std::pair<long, nlohmann::json> KeycloakStandin::request_token(const std::string& client_id,
                                                               const std::string& secret) {
  long status = 0;
  auto body = http("POST", token_url(),
                   idp::form_encode({{"grant_type", "client_credentials"},
                                     {"client_id", client_id},
                                     {"client_secret", secret}}),
                   &status, {"Content-Type: application/x-www-form-urlencoded"});
  return {status, body};
}

std::string KeycloakStandin::device_token(const std::string& client_id, const std::string& secret) {
  auto [status, body] = request_token(client_id, secret);
  if (status != 200)
    throw std::runtime_error("no token for " + client_id + ": " + std::to_string(status) + " " +
                             body.dump());
  return body["access_token"];
}

std::pair<long, nlohmann::json> KeycloakStandin::admin_call(const std::string& method,
                                                            const std::string& path,
                                                            const nlohmann::json& body) {
  const std::string token = device_token(kAdminClientId, kAdminClientSecret);
  long status = 0;
  auto answer = http(method, url() + options_.base_path + "/admin/realms/" + options_.realm + path,
                     body.is_null() ? "" : body.dump(), &status,
                     {"Authorization: Bearer " + token, "Content-Type: application/json"});
  return {status, answer};
}

std::pair<std::string, std::string> make_tls_certificate(const std::string& dir) {
  const std::string cert = dir + "/standin-cert.pem", key = dir + "/standin-key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
      "/CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
      key + "' -out '" + cert + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("openssl could not make a test certificate");
  return {cert, key};
}

}  // namespace iotfleet::test_support
