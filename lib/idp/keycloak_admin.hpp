#pragma once
// The transport half of the Keycloak provider (internal to lib/idp): the pool of HTTP clients,
// the cached admin token with its refresh-on-401, and the translation of Keycloak's answers into
// errors. keycloak.cpp builds the client operations on top of it.

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "idp/keycloak.hpp"

namespace iotfleet::idp::detail {

class KeycloakAdmin {
 public:
  KeycloakAdmin(KeycloakSettings settings, KeycloakProvider::ClientFactory factory);

  /// An HTTP client borrowed from the pool for the lifetime of the lease.
  class Lease {
   public:
    Lease(KeycloakAdmin& admin, std::unique_ptr<HttpClient> client)
        : admin_(admin), client_(std::move(client)) {}
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    HttpClient& http() { return *client_; }

   private:
    KeycloakAdmin& admin_;
    std::unique_ptr<HttpClient> client_;
  };
  Lease lease();

  const KeycloakSettings& settings() const { return s_; }

  /// One admin API call; `path` is relative to admin_url(), `what` names the operation for
  /// messages ("create client 'x'"). Transport failures and 5xx answers are errors naming
  /// Keycloak; a 401 fetches a new admin token and retries once; other statuses are returned.
  core::Result<HttpResponse> call(HttpClient& http, const std::string& method,
                                  const std::string& path, const std::string& what,
                                  const nlohmann::json* body = nullptr);

  /// The error for an answer the caller did not expect: Keycloak's status and message.
  core::Error status_error(const HttpResponse& r, const std::string& what) const;

  /// The client representation with exactly this clientId, or nullopt. Remembers its UUID.
  core::Result<std::optional<nlohmann::json>> find_client(HttpClient& http,
                                                          const std::string& client_id);
  /// The UUID of a client (cached), or nullopt when it does not exist.
  core::Result<std::optional<std::string>> client_uuid(HttpClient& http,
                                                       const std::string& client_id,
                                                       bool refresh = false);
  void remember(const std::string& client_id, const std::string& uuid);
  void forget(const std::string& client_id);

  /// The UUID of the realm's client scope named KEYCLOAK_DEVICE_SCOPE (cached).
  core::Result<std::string> device_scope_id(HttpClient& http);

  /// A JSON body, or a failure naming the operation.
  core::Result<nlohmann::json> parse_json(const HttpResponse& r, const std::string& what) const;

 private:
  struct Token {
    std::string value;
    std::uint64_t generation = 0;
  };
  core::Result<Token> admin_token(HttpClient& http);
  void invalidate(std::uint64_t generation);
  core::Error transport_error(const core::Error& cause, const std::string& what) const;

  KeycloakSettings s_;
  KeycloakProvider::ClientFactory factory_;

  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<HttpClient>> idle_;

  std::mutex token_mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point token_expiry_;
  std::uint64_t token_generation_ = 0;

  std::mutex cache_mutex_;
  std::optional<std::string> scope_id_;
  std::map<std::string, std::string> uuids_;
};

/// The string member `name` of a JSON object, or "" (never throws on odd answers).
std::string string_field(const nlohmann::json& object, const char* name);

/// Keycloak's message from an error body ("errorMessage", "error_description" or "error"), in
/// printable ASCII, at most 200 characters; "" when there is none.
std::string keycloak_message(const std::string& body);

}  // namespace iotfleet::idp::detail
