#pragma once
// Device operations that reach the identity provider besides creation: delete (the row, then
// the identity), sync (re-create or repair the identity from the row) and inspect (does the
// identity exist, and does it match the row?). The database is the system of record: the
// secret sealed in the row is what the provider should hold.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/secret_box.hpp"
#include "fleet/models.hpp"
#include "pki/authority.hpp"
#include "idp/provider.hpp"

namespace iotfleet::fleet {

/// The provider for an identity kind ("local", "keycloak"), made on first use, so that only the
/// operations that need Keycloak need its settings. Throws a Failure (usage) when the kind is
/// not available or its settings are missing.
using ProviderFor = std::function<idp::IdentityProvider&(const std::string& kind)>;

struct DeleteReport {
  std::string key;
  std::string client_id;
  std::string identity;
  bool identity_removed = false;       // an identity was deleted from the provider
  std::optional<std::string> warning;  // the identity could not be deleted (the row is gone)
  std::vector<std::string> certificates_revoked;  // cert identity, with a CA
  std::optional<std::string> revocation_warning;  // cert identity: not revoked, and what to do
};

/// Deletes the row (audited), then the device's identity in its provider. A failure at the
/// provider does not undo the deletion: it is reported in `warning`. A certificate outlives its
/// row: with `ca`, a cert identity's certificates are revoked (then publish the CRL); without
/// it, or when revoking fails, `revocation_warning` says what is left to do.
core::Result<DeleteReport> delete_device(Session& s, const std::string& key,
                                         const ProviderFor& providers,
                                         pki::Authority* ca = nullptr);

struct SyncReport {
  std::string key;
  std::string client_id;
  std::string identity;
  idp::Outcome outcome = idp::Outcome::unchanged;
  std::vector<std::string> changes;
};

/// Brings the device's identity to what its row says: re-creates a missing Keycloak client,
/// repairs its settings, secret and scope; re-derives a local device's HMAC from its sealed
/// secret. Refused (conflict) while a rotation is in flight: the provider may rightly hold the
/// new secret then.
core::Result<SyncReport> sync_device(Session& s, const std::string& key, const core::SecretBox& box,
                                     const ProviderFor& providers);

struct IdentityReport {
  std::string key;
  std::string client_id;
  std::string identity;
  bool exists = false;
  std::vector<std::string> problems;
  bool consistent() const { return exists && problems.empty(); }
};

/// Whether the device's identity exists and matches its row; changes nothing.
core::Result<IdentityReport> inspect_identity(Session& s, const std::string& key,
                                              const core::SecretBox& box,
                                              const ProviderFor& providers);

}  // namespace iotfleet::fleet
