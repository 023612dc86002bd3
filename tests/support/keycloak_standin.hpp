#pragma once
// Starts tests/support/keycloak_standin.py (one instance per test or fixture, on its own free
// port) and talks to its Keycloak and control endpoints. Without /usr/bin/python3 and its jwt
// and cryptography modules the constructor throws: a test fails, it never skips.

#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "test_support/temp_dir.hpp"

namespace iotfleet::test_support {

class KeycloakStandin {
 public:
  struct Options {
    std::string realm = "iot";
    std::string base_path;  // "/auth" behaves like Keycloak before 17
    std::string device_scope = "iot-device-audience";
    std::string audience = "iot-api";
    std::string claim_style = "client_id";  // or "clientId" (before Keycloak 21.1)
    std::string tls_cert, tls_key;          // serve HTTPS with these (PEM files)
  };

  KeycloakStandin();
  explicit KeycloakStandin(Options options);
  ~KeycloakStandin();
  KeycloakStandin(const KeycloakStandin&) = delete;
  KeycloakStandin& operator=(const KeycloakStandin&) = delete;

  static constexpr const char* kAdminClientId = "iot-admin";
  static constexpr const char* kAdminClientSecret = "admin-secret-for-tests";
  /// The realm administrator of the login realm "master" (password grant with admin-cli).
  static constexpr const char* kRealmAdminUser = "admin";
  static constexpr const char* kRealmAdminPassword = "admin-password-for-tests";

  int port() const { return port_; }
  /// scheme://127.0.0.1:port (what KEYCLOAK_BASE_URL names; the base path is separate).
  std::string url() const;
  /// The realm's issuer: url() + base path + "/realms/" + realm.
  std::string issuer() const;
  std::string token_url() const { return issuer() + "/protocol/openid-connect/token"; }
  const Options& options() const { return options_; }

  /// KEYCLOAK_* variables for iot-provision pointing at this instance.
  std::map<std::string, std::string> env() const;

  /// GET /_standin/state: clients (with secrets), counters, keys, issuer.
  nlohmann::json state();
  /// A client representation by clientId, from state().
  std::optional<nlohmann::json> client(const std::string& client_id);
  std::size_t device_client_count();
  long counter(const std::string& name);
  /// POST /_standin/<what> with a JSON body; throws unless 2xx.
  nlohmann::json control(const std::string& what,
                         const nlohmann::json& body = nlohmann::json::object());
  /// A token minted by the stand-in (python-jwt) as the request says (see the script's mint()).
  std::string mint(const nlohmann::json& request);
  /// The token endpoint's answer for a client's credentials: status and JSON body.
  std::pair<long, nlohmann::json> request_token(const std::string& client_id,
                                                const std::string& secret);
  /// A device access token; throws unless Keycloak issued one.
  std::string device_token(const std::string& client_id, const std::string& secret);

  /// An admin API call (path relative to {base}/admin/realms/{realm}) with a token of the admin
  /// client, as an administrator would make it: status and JSON body (null when empty).
  std::pair<long, nlohmann::json> admin_call(const std::string& method, const std::string& path,
                                             const nlohmann::json& body = nullptr);

  /// Kills the stand-in now (Keycloak down); the port then refuses connections.
  void stop();

 private:
  nlohmann::json http(const std::string& method, const std::string& url, const std::string& body,
                      long* status = nullptr, const std::vector<std::string>& headers = {});
  Options options_;
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

/// Makes a self-signed certificate for "localhost" and 127.0.0.1 with the openssl command:
/// returns {cert.pem, key.pem} in dir.
std::pair<std::string, std::string> make_tls_certificate(const std::string& dir);

}  // namespace iotfleet::test_support
