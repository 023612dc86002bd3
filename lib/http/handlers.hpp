#pragma once
// The routes of iot-serve (issue 4) on plain request/response values: the server (server.hpp)
// turns Beast's messages into these and back, so every route and status is unit-testable
// without a socket and Beast stays in one translation unit.
//
// Statuses: 401 (with WWW-Authenticate) for missing or bad credentials; 403 for a proven
// identity without access (deactivated, wrong model or identity kind); 404 for a device whose
// identity was proven (a verified token or client certificate) but that no longer exists, and
// for firmware a model does not have; 405 for methods other than GET and HEAD; 409 for
// /iot/provisioning without a pending rotation; 503 when a dependency is needed and down.
// Messages never name another device and never contain a credential.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/authenticator.hpp"
#include "core/secret_box.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/snapshot.hpp"
#include "idp/local.hpp"
#include "provision/package.hpp"
#include "rotation/installer.hpp"
#include "rotation/notifier.hpp"
#include "fleet/broker_sync.hpp"

namespace iotfleet::http {

struct Request {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view target;
  std::string_view authorization, if_none_match, range, if_range;
  std::optional<std::string> client_cert_cn;  // CN of a client certificate TLS verified
  std::string client_cert_serial;             // its serial (pki::CertInfo form), with the CN
  std::string peer;                           // remote address (logs, the auth hook)
  std::string_view x_forwarded_for;           // trusted only from --trusted-proxies
};

struct Response {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A body that is a slice of shared bytes (firmware), sent without copying.
  std::shared_ptr<const std::string> shared;
  std::size_t offset = 0, length = 0;
  Route route = Route::invalid;  // for metrics

  std::size_t body_size() const { return shared ? length : body.size(); }
  std::string_view body_view() const {
    return shared ? std::string_view(*shared).substr(offset, length) : std::string_view(body);
  }
};

/// A JSON error body {"error": ..., "message": ...}.
Response error_response(int status, std::string_view error, std::string_view message);

/// The HTTP status for an authentication rejection. `identity_proven`: the credential itself was
/// verified (a token's signature), so what remains is about the device (403/404), not the
/// caller (401).
int status_for(auth::Reason reason, bool identity_proven);

/// The seam for brute-force protection (issue 11): asked before authentication (may refuse
/// with a response, e.g. 429) and told the outcome afterwards. The default allows everything.
class AuthHook {
 public:
  virtual ~AuthHook() = default;
  virtual std::optional<Response> before(const Request&) { return std::nullopt; }
  virtual void after(const Request&, bool /*accepted*/, std::optional<auth::Reason>) {}
};

/// The one database connection for rotation writes (rare: only during a device's rotation),
/// made on first use as the restricted role and remade after a failure. Thread-safe (one
/// statement at a time).
class RotationDatabase {
 public:
  RotationDatabase(std::string url, std::string role)
      : url_(std::move(url)), role_(std::move(role)) {}
  core::Result<bool> with(const std::function<core::Result<bool>(pqxx::connection&)>& fn);

 private:
  std::string url_, role_;
  std::mutex mutex_;
  std::unique_ptr<pqxx::connection> conn_;
};

struct HandlerContext {
  Snapshot* snapshot = nullptr;
  Metrics* metrics = nullptr;
  auth::Authenticator* authenticator = nullptr;  // Bearer and/or Basic, as the modes say
  bool cert_auth = false;                        // --auth cert
  bool jwt_auth = false, secret_auth = false;    // for WWW-Authenticate
  const core::SecretBox* box = nullptr;
  rotation::CredentialInstaller* installer = nullptr;
  rotation::Notifier* notifier = nullptr;
  fleet::BrokerIdentityKeeper* broker_identities = nullptr;  // MQTT_IDENTITIES=dynsec, else null
  RotationDatabase* rotation_db = nullptr;
  std::chrono::seconds clock_skew{30};
  provision::Package package_defaults;  // token_url, base_url, mqtt_url, wifi_*
  std::string device_ca_pem;            // empty: /ca.crt is 404
  AuthHook* hook = nullptr;             // may be null
  std::function<bool()> ready;          // data loaded and database (recently) reachable
  std::function<Gauges()> gauges;       // for /metrics
  const std::atomic<bool>* draining = nullptr;
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

class Handlers {
 public:
  explicit Handlers(HandlerContext ctx) : c_(std::move(ctx)) {}
  /// Answers one request (the body of a HEAD answer is dropped by the server).
  Response handle(const Request& request);

 private:
  struct Caller {
    std::string key;
    std::string model_code;
    std::string client_id;
    enum class Method { bearer, basic, cert } method = Method::bearer;
    std::int64_t issued_at = 0;
    std::string cert_serial;  // Method::cert: the client certificate's serial
  };
  std::variant<Caller, Response> authenticate(const Request& r);
  Response unauthorized(std::string_view message);
  Response config(const Request& r, const Caller& caller);
  Response firmware(const Request& r, const Caller& caller, bool metadata_only);
  Response provisioning(const Caller& caller);
  void refresh_device(const std::string& key);
  void keep_broker_identity(const Caller& caller);

  HandlerContext c_;
};

}  // namespace iotfleet::http
