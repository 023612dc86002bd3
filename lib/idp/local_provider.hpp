#pragma once
// The `local` identity behind the provider interface. Its credential lives in the device's own
// row: secret_hmac (HMAC-SHA256 under the pepper, what authentication checks) and
// secret_sealed (the secret in the secret box, for packages). So the row must exist:
// create() and set_secret() write the credential of an existing row (fleet::create_devices
// writes both with the row in one statement instead), and remove() has nothing to do, the
// credential goes with the row. Each call is its own short transaction.

#include <pqxx/pqxx>

#include "core/secret_box.hpp"
#include "idp/local.hpp"
#include "idp/provider.hpp"

namespace iotfleet::idp {

class LocalProvider final : public IdentityProvider {
 public:
  LocalProvider(pqxx::connection& db, const core::SecretBox& box, const Pepper& pepper)
      : db_(db), box_(box), pepper_(pepper) {}

  std::string_view kind() const override { return "local"; }
  core::Result<EnsureResult> create(const IdentitySpec& spec) override;
  core::Result<bool> exists(const std::string& client_id) override;
  core::Result<std::string> read_secret(const std::string& client_id) override;
  core::Status set_secret(const std::string& client_id, const std::string& secret) override;
  core::Result<std::string> regenerate(const std::string& client_id) override;
  core::Result<bool> remove(const std::string& client_id) override;
  core::Result<IdentityCheck> inspect(const IdentitySpec& spec) override;

 private:
  pqxx::connection& db_;
  const core::SecretBox& box_;
  const Pepper& pepper_;
};

}  // namespace iotfleet::idp
