#pragma once
// The device's side of a rotation (shared/specs/rotation.md, "The device's side"), as the
// endpoint (iot-serve) performs it: hand out the pending credential (installing it in the
// identity provider on first use) and complete the rotation once the device proves it uses the
// new credential. Each call locks the device's row, so it never races the cycle's time-out.
//
// Crash safety: issue_pending() first commits rotation_installed_at, then installs the secret
// under the row lock (idempotent: it installs again on every call while PENDING), then returns
// it. A crash between any two steps leaves either the old credential working or the time-out's
// restore to repair it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <pqxx/pqxx>
#include <string>

#include "core/error.hpp"
#include "core/secret_box.hpp"
#include "rotation/installer.hpp"

namespace iotfleet::rotation {

using TimePoint = std::chrono::system_clock::time_point;

/// Test hook: called with a step name at each step boundary ("installed_at_recorded",
/// "credential_installed"); throwing from it simulates a crash there.
using FaultPoint = std::function<void(const char* step)>;

struct IssuedCredential {
  std::string device_key;
  std::string client_id;
  std::string identity_kind;
  std::string secret;      // the new credential: goes only into the response body (for a cert
                           // identity, a CertificateCredential: see installer.hpp)
  bool first_issue = false;  // this call installed it (false: a repeat call)
};

/// GET /iot/provisioning by device `key` (already authenticated with its current credential).
/// ErrorKind::not_found: no such device; ErrorKind::conflict: no rotation pending for it;
/// ErrorKind::unavailable: database or identity provider down (nothing half-done is lost).
core::Result<IssuedCredential> issue_pending(pqxx::connection& db, CredentialInstaller& installer,
                                             const core::SecretBox& box, const std::string& key,
                                             TimePoint now, const FaultPoint& fault = {});

/// How the request to /iot/config was authenticated.
struct Proof {
  enum class Method { bearer, basic, certificate } method = Method::bearer;
  std::int64_t token_issued_at = 0;  // bearer: the token's iat (seconds since the epoch)
  std::string presented_secret;      // basic: the secret the device sent
  std::string certificate_serial;    // certificate: the serial of the client certificate
};

/// GET /iot/config: completes the device's rotation if it is PENDING, the new credential is
/// installed and `proof` shows the device used it (bearer: iat >= installed_at - skew; basic:
/// the presented secret is the pending one; certificate: the client certificate is the one
/// installed). The installer then retires the previous credential in the same transaction (a
/// certificate is revoked). True when it completed now; false when there was nothing to
/// complete or the proof was the old credential. The caller then clears the retained notice
/// (Notifier::clear); a failure there changes nothing, the next notice replaces it.
core::Result<bool> complete_if_proven(pqxx::connection& db, CredentialInstaller& installer,
                                      const core::SecretBox& box,
                                      const std::string& key, const Proof& proof, TimePoint now,
                                      std::chrono::seconds allowed_skew = std::chrono::seconds(30));

}  // namespace iotfleet::rotation
