#include "fleet/devices.hpp"

#include <map>
#include <set>

#include "core/clock.hpp"
#include "core/device_key.hpp"
#include "core/log.hpp"
#include "fleet/config_schema.hpp"
#include "idp/client_id.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"

namespace iotfleet::fleet {
namespace {

constexpr std::size_t kBatchSize = 1000;
const std::set<std::string> kStates = {"OK", "QUEUED", "PENDING", "TIMEOUT"};

void check_identity(const std::string& identity, const IdentitySources& ids) {
  if (identity == "local") {
    if (!ids.pepper) throw core::Failure(core::Error::failure("internal: local identities need the pepper"));
    return;
  }
  if (identity == "keycloak") {
    if (!ids.keycloak) throw core::Failure(core::Error::failure("internal: keycloak identities need the provider"));
    return;
  }
  if (identity == "cert") {
    if (!ids.ca)
      throw core::Failure(core::Error::usage(
          "--identity cert needs the device CA: give --ca DIR (made by 'iot-cert ca init')"));
    return;
  }
  throw core::Failure(core::Error::usage("unknown identity '" + identity + "': use local, keycloak or cert"));
}

void check_config(const store::DeviceModel& model, const nlohmann::json& config) {
  if (!config.is_object()) throw core::Failure(core::Error::failure("a device config must be a JSON object"));
  if (model.config_schema) core::check(validate_config(*model.config_schema, config));
}

std::string numbered_name(const std::string& base, std::size_t index, std::size_t count) {
  std::string n = std::to_string(index + 1);
  const std::size_t width = std::to_string(count).size();
  return base + "-" + std::string(width - n.size(), '0') + n;
}

}  // namespace

std::string client_id_for(const std::string& model_code, const std::string& device_key) {
  return idp::client_id_for(model_code, device_key);
}

idp::IdentitySpec identity_spec(const store::Device& device, std::string secret) {
  return {device.client_id, device.name.value_or(device.client_id),
          "IoT device " + device.key + " of model " + device.model_code + " (managed by iot-provision)",
          std::move(secret)};
}

store::Device require_device(pqxx::transaction_base& tx, const std::string& key, bool for_update) {
  if (!core::is_valid_device_key(key))
    throw core::Failure(core::Error::not_found("device '" + key + "' does not exist",
                                               "a device key is 8 characters of a-z and 0-9"));
  auto device = store::DeviceRepository(tx).find(key, for_update);
  if (!device) throw core::Failure(core::Error::not_found("device '" + key + "' does not exist"));
  return *device;
}

namespace {

// The Keycloak clients of one batch of inserted rows, overlapped. Every client created is
// recorded in `clients` (for undo) before the first failure is thrown.
void create_clients(idp::IdentityProvider& provider, const store::DeviceModel& model,
                    const std::vector<store::NewDevice>& rows, const std::map<std::string, std::string>& secrets,
                    std::vector<std::string>& clients, const std::function<void(std::size_t)>& done) {
  std::vector<idp::IdentitySpec> specs;
  for (const auto& row : rows) {
    store::Device d;
    d.key = row.key;
    d.client_id = row.client_id;
    d.model_code = model.code;
    d.name = row.name;
    specs.push_back(identity_spec(d, secrets.at(row.key)));
  }
  const auto results = provider.create_many(specs, [&](std::size_t n, std::size_t) { done(n); });
  std::optional<core::Error> first;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) clients.push_back(specs[i].client_id);
    else if (!first) first = results[i].error();
  }
  if (first) throw core::Failure(*first);
}

// Deletes the clients of a failed creation; what cannot be deleted is reported, by client id.
void undo_clients(idp::IdentityProvider& provider, const std::vector<std::string>& clients, core::Error& error) {
  if (clients.empty()) return;
  const auto results = provider.remove_many(clients);
  std::vector<std::string> left;
  for (std::size_t i = 0; i < results.size(); ++i)
    if (!results[i].ok()) left.push_back(clients[i]);
  if (left.empty()) return;
  core::log::warn("could not remove Keycloak clients of devices that were not created",
                  {{"clients", left}, {"count", left.size()}});
  error.hint += std::string(error.hint.empty() ? "" : "; ") + std::to_string(left.size()) +
                " Keycloak client(s) of devices that were not created are left behind (listed in the log, "
                "e.g. '" + left.front() + "'): delete them in Keycloak";
}

IssuedCertificate issue_certificate(pki::Authority& ca, int days, store::DeviceRepository& repo,
                                    const std::string& key) {
  auto issued = ca.issue_device(key, days, pki::KeyType::ec_p256, core::system_clock().now()).take();
  IssuedCertificate out{issued.key.to_pem(), issued.certificate.to_pem(), issued.info.serial,
                        core::format_iso_utc(issued.info.not_after)};
  repo.set_certificate(key, out.certificate_pem, out.serial, out.not_after);
  return out;
}

// A creation that failed after issuing certificates revokes them: no valid certificate may
// name a device that does not exist.
void revoke_issued(pki::Authority& ca, const std::vector<std::string>& serials, core::Error& error) {
  std::vector<std::string> left;
  for (const auto& serial : serials)
    if (!ca.revoke(serial, "cessationOfOperation", core::system_clock().now())) left.push_back(serial);
  if (!left.empty())
    error.message += "; could not revoke " + std::to_string(left.size()) +
                     " certificate(s) issued for it (revoke them with 'iot-cert revoke SERIAL')";
}

}  // namespace

core::Result<std::vector<CreatedDevice>> create_devices(Session& s, const DeviceSpec& spec,
                                                        const LocalSecrets& secrets, const Progress& progress) {
  return create_devices(s, spec, IdentitySources{secrets.box, &secrets.pepper, nullptr}, progress);
}

core::Result<std::vector<CreatedDevice>> create_devices(Session& s, const DeviceSpec& spec,
                                                        const IdentitySources& ids, const Progress& progress) {
  const std::string what = "create devices of model '" + spec.model_code + "'";
  std::vector<std::string> clients;  // created in Keycloak so far: deleted again on failure
  std::vector<std::string> serials;  // certificates issued so far: revoked again on failure
  auto fail = [&](core::Error error) {
    if (ids.keycloak) undo_clients(*ids.keycloak, clients, error);
    if (ids.ca) revoke_issued(*ids.ca, serials, error);
    return error;
  };
  try {
    check_identity(spec.identity, ids);
    if (spec.count < 1 || spec.count > kMaxDevicesPerCreate)
      throw core::Failure(core::Error::usage("--count must be between 1 and " +
                                             std::to_string(kMaxDevicesPerCreate)));
    if (spec.name && (spec.name->empty() || spec.name->size() > 200))
      throw core::Failure(core::Error::failure("a device name must have 1 to 200 characters"));
    const bool keycloak = spec.identity == "keycloak";

    pqxx::work tx(s.db);
    // Lock the model row so it cannot be deleted while its devices are being created.
    const auto model = require_model(tx, spec.model_code, true);
    check_config(model, spec.config);

    store::DeviceRepository repo(tx);
    std::vector<CreatedDevice> created;
    created.reserve(spec.count);
    std::set<std::string> used;
    for (std::size_t start = 0; start < spec.count; start += kBatchSize) {
      const std::size_t n = std::min(kBatchSize, spec.count - start);
      // Slots still waiting for a key that is unique in the database; a random collision only
      // sends its slot round again with a fresh key.
      std::vector<std::size_t> waiting(n);
      for (std::size_t i = 0; i < n; ++i) waiting[i] = start + i;
      std::vector<store::NewDevice> batch;  // inserted rows, for their Keycloak clients
      std::map<std::string, std::string> secrets;
      for (int attempt = 0; !waiting.empty(); ++attempt) {
        if (attempt == 10)
          throw core::Failure(core::Error::failure("could not find unused device keys after 10 attempts"));
        std::vector<store::NewDevice> rows;
        std::vector<std::size_t> slot_of_row;
        for (std::size_t slot : waiting) {
          std::string key;
          do key = core::generate_device_key();
          while (!used.insert(key).second);
          store::NewDevice row{key, client_id_for(model.code, key),
                               spec.name ? std::optional(spec.count > 1 ? numbered_name(*spec.name, slot, spec.count)
                                                                        : *spec.name)
                                         : std::nullopt,
                               std::nullopt, std::nullopt};
          if (spec.identity == "cert") {
            // The certificate comes once the key is known to be unique (below): a certificate
            // whose CN is another device's key would authenticate as that device.
          } else if (keycloak) {
            // The toolkit chooses the secret and installs it in Keycloak: the sealed copy is
            // what packages carry, and what `device sync` restores.
            secrets[key] = idp::generate_secret();
            row.secret_sealed = ids.box.seal(secrets[key], idp::device_secret_context(key));
          } else {
            auto credential = idp::issue_local_credential(ids.box, *ids.pepper, key);
            row.secret_hmac = std::move(credential.hmac);
            row.secret_sealed = std::move(credential.sealed);
          }
          rows.push_back(std::move(row));
          slot_of_row.push_back(slot);
        }
        const auto inserted = repo.insert_batch(model.id, model.code, spec.config, spec.identity, rows, s.actor);
        const std::set<std::string> done(inserted.begin(), inserted.end());
        std::vector<std::size_t> again;
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (done.contains(rows[i].key)) {
            created.push_back({rows[i].key, rows[i].client_id, model.code, std::nullopt});
            batch.push_back(rows[i]);
          } else {
            again.push_back(slot_of_row[i]);
          }
        }
        waiting = std::move(again);
      }
      if (keycloak) {
        create_clients(*ids.keycloak, model, batch, secrets, clients, [&](std::size_t done_in_batch) {
          if (progress) progress(start + done_in_batch, spec.count);
        });
      }
      if (spec.identity == "cert")
        for (std::size_t i = created.size() - batch.size(); i < created.size(); ++i) {
          created[i].certificate = issue_certificate(*ids.ca, ids.certificate_days, repo, created[i].key);
          serials.push_back(created[i].certificate->serial);
          if (progress) progress(i + 1, spec.count);
        }
      if (progress) progress(created.size(), spec.count);
    }
    try {
      tx.commit();
    } catch (const pqxx::in_doubt_error& e) {
      // The rows may be committed: keep their clients, a device must not lose its credential.
      clients.clear();
      return core::Error::unavailable(
          "lost the connection to PostgreSQL while committing: " + what + " may or may not have happened",
          "check with 'iot-provision device list'; 'iot-provision device sync KEY' repairs a device's identity");
    }
    return created;
  } catch (const core::Failure& f) {
    return fail(f.error());
  } catch (const std::exception& e) {
    return fail(store::translate(e, what));
  }
}

core::Result<std::vector<store::Device>> list_devices(Session& s, const std::optional<std::string>& model_code,
                                                      const std::optional<std::string>& rotation_state,
                                                      bool only_inactive) {
  return store::in_transaction(s.db, "list devices", [&](pqxx::work& tx) {
    store::DeviceFilter filter;
    if (model_code) filter.model_id = require_model(tx, *model_code).id;
    if (rotation_state) {
      std::string state = *rotation_state;
      for (char& c : state) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!kStates.contains(state))
        throw core::Failure(core::Error::usage("unknown rotation state '" + *rotation_state +
                                               "': use OK, QUEUED, PENDING or TIMEOUT"));
      filter.rotation_state = state;
    }
    filter.only_inactive = only_inactive;
    return store::DeviceRepository(tx).list(filter);
  });
}

core::Result<store::Device> show_device(Session& s, const std::string& key) {
  return store::in_transaction(s.db, "show device '" + key + "'",
                               [&](pqxx::work& tx) { return require_device(tx, key); });
}

core::Result<store::Device> set_device_config(Session& s, const std::string& key, const nlohmann::json& config) {
  return store::in_transaction(s.db, "set the config of device '" + key + "'", [&](pqxx::work& tx) {
    const auto device = require_device(tx, key, true);
    check_config(require_model(tx, device.model_code), config);
    store::DeviceRepository(tx).set_config(device.id, config);
    store::record(tx, {s.actor, "device.set_config", "device", key, nlohmann::json::object()});
    return require_device(tx, key);
  });
}

core::Result<store::Device> set_device_active(Session& s, const std::string& key, bool active) {
  return store::in_transaction(s.db, std::string(active ? "activate" : "deactivate") + " device '" + key + "'",
                               [&](pqxx::work& tx) {
                                 const auto device = require_device(tx, key, true);
                                 if (device.active != active) {
                                   store::DeviceRepository(tx).set_active(device.id, active);
                                   store::record(tx, {s.actor, active ? "device.activate" : "device.deactivate",
                                                      "device", key, nlohmann::json::object()});
                                 }
                                 return require_device(tx, key);
                               });
}

core::Result<DeviceCredential> read_credential(Session& s, const std::string& key, const core::SecretBox& box) {
  return store::in_transaction(s.db, "read the credential of device '" + key + "'", [&](pqxx::work& tx) {
    auto device = require_device(tx, key);
    if (device.identity_kind == "cert" || !device.secret_sealed)
      throw core::Failure(core::Error::failure("device '" + key + "' has no secret the toolkit keeps (identity " +
                                               device.identity_kind + ")"));
    auto secret = box.open(*device.secret_sealed, idp::device_secret_context(key));
    if (!secret)
      throw core::Failure(core::Error::failure("device '" + key + "': " + secret.error().message,
                                               secret.error().hint));
    store::record(tx, {s.actor, "device.package", "device", key, nlohmann::json::object()});
    return DeviceCredential{std::move(device), std::move(*secret)};
  });
}

}  // namespace iotfleet::fleet
