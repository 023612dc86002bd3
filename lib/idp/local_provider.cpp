#include "idp/local_provider.hpp"

#include "store/database.hpp"

namespace iotfleet::idp {
namespace {

struct Row {
  std::string key;
  std::optional<core::Bytes> hmac;
  std::optional<std::string> sealed;
};

// The credential columns of a local device, by client id.
std::optional<Row> load(pqxx::transaction_base& tx, const std::string& client_id, bool for_update) {
  const auto rows = tx.exec_params(
      std::string("SELECT key, encode(secret_hmac, 'hex'), secret_sealed FROM devices "
                  "WHERE client_id = $1 AND identity_kind = 'local'") +
          (for_update ? " FOR UPDATE" : ""),
      client_id);
  if (rows.empty()) return std::nullopt;
  Row r{rows[0][0].as<std::string>(), std::nullopt, store::opt_text(rows[0][2])};
  if (!rows[0][1].is_null()) r.hmac = core::hex_decode(rows[0][1].as<std::string>());
  return r;
}

core::Failure missing(const std::string& client_id) {
  return core::Failure(
      core::Error::not_found("no device with a local identity has client id '" + client_id + "'"));
}

void write(pqxx::transaction_base& tx, const Row& row, const std::string& client_id,
           const core::SecretBox& box, const Pepper& pepper, const std::string& secret) {
  tx.exec_params(
      "UPDATE devices SET secret_hmac = decode($2, 'hex'), secret_sealed = $3, updated_at = now() "
      "WHERE client_id = $1",
      client_id, core::hex_encode(local_secret_hmac(pepper, row.key, secret)),
      box.seal(secret, local_secret_context(row.key)));
}

}  // namespace

core::Result<EnsureResult> LocalProvider::create(const IdentitySpec& spec) {
  return store::in_transaction(
      db_, "install the local credential of '" + spec.client_id + "'", [&](pqxx::work& tx) {
        const auto row = load(tx, spec.client_id, true);
        if (!row) throw missing(spec.client_id);
        EnsureResult result{spec.client_id, Outcome::unchanged, {}};
        if (!row->hmac || !verify_local_secret(pepper_, row->key, spec.secret, *row->hmac)) {
          write(tx, *row, spec.client_id, box_, pepper_, spec.secret);
          result.outcome = Outcome::repaired;
          result.changes.emplace_back("secret");
        }
        return result;
      });
}

core::Result<bool> LocalProvider::exists(const std::string& client_id) {
  return store::in_transaction(db_, "look up the local credential of '" + client_id + "'",
                               [&](pqxx::work& tx) {
                                 const auto row = load(tx, client_id, false);
                                 return row && row->hmac.has_value();
                               });
}

core::Result<std::string> LocalProvider::read_secret(const std::string& client_id) {
  return store::in_transaction(
      db_, "read the local secret of '" + client_id + "'", [&](pqxx::work& tx) {
        const auto row = load(tx, client_id, false);
        if (!row || !row->sealed) throw missing(client_id);
        return box_.open(*row->sealed, local_secret_context(row->key)).take();
      });
}

core::Status LocalProvider::set_secret(const std::string& client_id, const std::string& secret) {
  return store::in_transaction(db_, "set the local secret of '" + client_id + "'",
                               [&](pqxx::work& tx) {
                                 const auto row = load(tx, client_id, true);
                                 if (!row) throw missing(client_id);
                                 write(tx, *row, client_id, box_, pepper_, secret);
                               });
}

core::Result<std::string> LocalProvider::regenerate(const std::string& client_id) {
  std::string secret = generate_secret();
  if (auto s = set_secret(client_id, secret); !s) return s.error();
  return secret;
}

core::Result<bool> LocalProvider::remove(const std::string&) { return false; }

core::Result<IdentityCheck> LocalProvider::inspect(const IdentitySpec& spec) {
  return store::in_transaction(
      db_, "check the local credential of '" + spec.client_id + "'", [&](pqxx::work& tx) {
        IdentityCheck check;
        const auto row = load(tx, spec.client_id, false);
        if (!row || !row->hmac) return check;
        check.exists = true;
        if (!row->sealed) {
          check.problems.emplace_back("the sealed copy of the secret is missing");
          return check;
        }
        auto secret = box_.open(*row->sealed, local_secret_context(row->key));
        if (!secret) {
          check.problems.push_back("the sealed secret does not open: " + secret.error().message);
          return check;
        }
        if (!verify_local_secret(pepper_, row->key, *secret, *row->hmac))
          check.problems.emplace_back(
              "the stored HMAC does not match the sealed secret (wrong IOT_SECRET_PEPPER?)");
        if (!spec.secret.empty() &&
            !core::constant_time_equal(core::as_bytes(*secret), core::as_bytes(spec.secret)))
          check.problems.emplace_back("the secret differs from the expected one");
        return check;
      });
}

}  // namespace iotfleet::idp
