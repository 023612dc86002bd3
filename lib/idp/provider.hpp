#pragma once
// Identity providers behind one interface (DESIGN.md "idp"): where a device's credential is
// checked. Two implementations: KeycloakProvider (a confidential client per device, admin REST
// API) and LocalProvider (a toolkit-managed secret whose HMAC lives in the device's row).
//
// Every operation names the identity by its client id ("iotdevice-<model>-<key>"). Errors carry
// the kinds of DESIGN.md: a provider that cannot be reached is ErrorKind::unavailable (exit 5,
// retry is safe). No message ever contains a secret.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace iotfleet::idp {

/// What an identity should look like.
struct IdentitySpec {
  std::string client_id;
  std::string name;  // shown in Keycloak's console
  std::string description;
  std::string secret;  // the credential to install
};

enum class Outcome { created, repaired, unchanged };
const char* outcome_name(Outcome o);

struct EnsureResult {
  std::string client_id;
  Outcome outcome = Outcome::unchanged;
  std::vector<std::string>
      changes;  // what was repaired: "secret", "default scope x", ... (never values)
};

struct IdentityCheck {
  bool exists = false;
  std::vector<std::string> problems;  // how it differs from the spec; empty when consistent
  bool consistent() const { return exists && problems.empty(); }
};

using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

class IdentityProvider {
 public:
  virtual ~IdentityProvider() = default;

  /// "keycloak" or "local", as stored in devices.identity_kind.
  virtual std::string_view kind() const = 0;

  /// Creates the identity as spec says. An identity that already exists is adopted and brought
  /// to the spec (secret included), so calling this again is harmless: it is also the repair.
  virtual core::Result<EnsureResult> create(const IdentitySpec& spec) = 0;
  virtual core::Result<bool> exists(const std::string& client_id) = 0;
  /// ErrorKind::not_found when the identity does not exist.
  virtual core::Result<std::string> read_secret(const std::string& client_id) = 0;
  virtual core::Status set_secret(const std::string& client_id, const std::string& secret) = 0;
  /// A new secret chosen by the provider; the old one stops working at once.
  virtual core::Result<std::string> regenerate(const std::string& client_id) = 0;
  /// Deletes the identity; one that does not exist is success. True if something was deleted.
  virtual core::Result<bool> remove(const std::string& client_id) = 0;
  /// How the identity differs from spec (the secret compared in constant time); changes nothing.
  virtual core::Result<IdentityCheck> inspect(const IdentitySpec& spec) = 0;

  /// create() for many identities; results in input order. The default runs them one by one;
  /// the Keycloak provider overlaps them.
  virtual std::vector<core::Result<EnsureResult>> create_many(
      const std::vector<IdentitySpec>& specs, const ProgressFn& progress = {});
  virtual std::vector<core::Result<bool>> remove_many(const std::vector<std::string>& client_ids);
};

/// A fresh device secret: 256 bits from the CSPRNG, base64url (43 characters).
std::string generate_secret();

/// The AAD under which a device's secret is sealed in its row, whatever its identity kind
/// ("device:<key>:secret", the same as local_secret_context()).
std::string device_secret_context(std::string_view device_key);

}  // namespace iotfleet::idp
