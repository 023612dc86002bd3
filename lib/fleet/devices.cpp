#include "fleet/devices.hpp"

#include <set>

#include "core/device_key.hpp"
#include "fleet/config_schema.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"

namespace iotfleet::fleet {
namespace {

constexpr std::size_t kBatchSize = 1000;
const std::set<std::string> kStates = {"OK", "QUEUED", "PENDING", "TIMEOUT"};

void check_identity(const std::string& identity) {
  if (identity == "local") return;
  if (identity == "keycloak" || identity == "cert")
    throw core::Failure(core::Error::usage(
        "the '" + identity + "' identity is not available in this version of the toolkit",
        "use --identity local (the default)"));
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
  return "iotdevice-" + model_code + "-" + device_key;
}

store::Device require_device(pqxx::transaction_base& tx, const std::string& key, bool for_update) {
  if (!core::is_valid_device_key(key))
    throw core::Failure(core::Error::not_found("device '" + key + "' does not exist",
                                               "a device key is 8 characters of a-z and 0-9"));
  auto device = store::DeviceRepository(tx).find(key, for_update);
  if (!device) throw core::Failure(core::Error::not_found("device '" + key + "' does not exist"));
  return *device;
}

core::Result<std::vector<CreatedDevice>> create_devices(Session& s, const DeviceSpec& spec,
                                                        const LocalSecrets& secrets,
                                                        const Progress& progress) {
  return store::in_transaction(s.db, "create devices of model '" + spec.model_code + "'", [&](pqxx::work& tx) {
    check_identity(spec.identity);
    if (spec.count < 1 || spec.count > kMaxDevicesPerCreate)
      throw core::Failure(core::Error::usage("--count must be between 1 and " +
                                             std::to_string(kMaxDevicesPerCreate)));
    if (spec.name && (spec.name->empty() || spec.name->size() > 200))
      throw core::Failure(core::Error::failure("a device name must have 1 to 200 characters"));
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
      for (int attempt = 0; !waiting.empty(); ++attempt) {
        if (attempt == 10)
          throw core::Failure(core::Error::failure("could not find unused device keys after 10 attempts"));
        std::vector<store::NewDevice> rows;
        std::vector<std::size_t> slot_of_row;
        for (std::size_t slot : waiting) {
          std::string key;
          do key = core::generate_device_key();
          while (!used.insert(key).second);
          const auto credential = idp::issue_local_credential(secrets.box, secrets.pepper, key);
          rows.push_back({key, client_id_for(model.code, key),
                          spec.name ? std::optional(spec.count > 1 ? numbered_name(*spec.name, slot, spec.count)
                                                                   : *spec.name)
                                    : std::nullopt,
                          credential.hmac, credential.sealed});
          slot_of_row.push_back(slot);
        }
        const auto inserted = repo.insert_batch(model.id, model.code, spec.config, spec.identity, rows, s.actor);
        const std::set<std::string> done(inserted.begin(), inserted.end());
        std::vector<std::size_t> again;
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (done.contains(rows[i].key)) created.push_back({rows[i].key, rows[i].client_id, model.code});
          else again.push_back(slot_of_row[i]);
        }
        waiting = std::move(again);
      }
      if (progress) progress(created.size(), spec.count);
    }
    return created;
  });
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

core::Status delete_device(Session& s, const std::string& key) {
  return store::in_transaction(s.db, "delete device '" + key + "'", [&](pqxx::work& tx) {
    const auto device = require_device(tx, key, true);
    store::DeviceRepository(tx).remove(device.id);
    store::record(tx, {s.actor, "device.delete", "device", key,
                       {{"model", device.model_code}, {"client_id", device.client_id}}});
  });
}

core::Result<DeviceCredential> read_credential(Session& s, const std::string& key, const core::SecretBox& box) {
  return store::in_transaction(s.db, "read the credential of device '" + key + "'", [&](pqxx::work& tx) {
    auto device = require_device(tx, key);
    if (device.identity_kind != "local" || !device.secret_sealed)
      throw core::Failure(core::Error::failure("device '" + key + "' has no toolkit-managed secret (identity " +
                                               device.identity_kind + ")"));
    auto secret = box.open(*device.secret_sealed, idp::local_secret_context(key));
    if (!secret)
      throw core::Failure(core::Error::failure("device '" + key + "': " + secret.error().message,
                                               secret.error().hint));
    store::record(tx, {s.actor, "device.package", "device", key, nlohmann::json::object()});
    return DeviceCredential{std::move(device), std::move(*secret)};
  });
}

}  // namespace iotfleet::fleet
