#include "fleet/models.hpp"

#include "core/device_key.hpp"
#include "fleet/config_schema.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/devices.hpp"

namespace iotfleet::fleet {
namespace {

void check_code(const std::string& code) {
  if (!core::is_valid_model_code(code))
    throw core::Failure(core::Error::failure("invalid model code '" + code +
                                             "': use 1 to 50 characters of a-z, 0-9 and _"));
}

void check_name(const std::string& name) {
  if (name.empty() || name.size() > 200)
    throw core::Failure(core::Error::failure("a model name must have 1 to 200 characters"));
}

}  // namespace

store::DeviceModel require_model(pqxx::transaction_base& tx, const std::string& code, bool for_update) {
  auto model = store::ModelRepository(tx).find(code, for_update);
  if (!model)
    throw core::Failure(core::Error::not_found("device model '" + code + "' does not exist",
                                               "see 'iot-provision model list'"));
  return *model;
}

core::Result<store::DeviceModel> create_model(Session& s, const std::string& code, const std::string& name,
                                              const std::optional<nlohmann::json>& config_schema) {
  return store::in_transaction(s.db, "create device model '" + code + "'", [&](pqxx::work& tx) {
    check_code(code);
    check_name(name);
    if (config_schema) core::check(check_schema(*config_schema));
    auto model = store::ModelRepository(tx).insert(code, name, config_schema);
    store::record(tx, {s.actor, "model.create", "model", code,
                       {{"name", name}, {"config_schema", config_schema.has_value()}}});
    return model;
  });
}

core::Result<std::vector<store::DeviceModel>> list_models(Session& s) {
  return store::in_transaction(s.db, "list device models",
                               [](pqxx::work& tx) { return store::ModelRepository(tx).list(); });
}

core::Result<store::DeviceModel> show_model(Session& s, const std::string& code) {
  return store::in_transaction(s.db, "show device model '" + code + "'",
                               [&](pqxx::work& tx) { return require_model(tx, code); });
}

core::Result<store::DeviceModel> update_model(Session& s, const std::string& code, const ModelChanges& changes) {
  return store::in_transaction(s.db, "update device model '" + code + "'", [&](pqxx::work& tx) {
    const auto model = require_model(tx, code, true);
    if (changes.name) check_name(*changes.name);
    if (changes.config_schema && *changes.config_schema) {
      const nlohmann::json& schema = **changes.config_schema;
      core::check(check_schema(schema));
      std::vector<std::string> failing;
      for (const auto& [key, config] : store::DeviceRepository(tx).configs_of_model(model.id))
        if (!validate_config(schema, config).ok()) failing.push_back(key);
      if (!failing.empty()) {
        std::string keys;
        for (std::size_t i = 0; i < failing.size() && i < 5; ++i) keys += (i ? ", " : "") + failing[i];
        if (failing.size() > 5) keys += ", ...";
        throw core::Failure(core::Error::conflict(
            "the new schema rejects the config of " + std::to_string(failing.size()) + " device(s) of '" +
                code + "' (" + keys + ")",
            "fix them with 'iot-provision device set-config KEY --config FILE' first"));
      }
    }
    store::ModelRepository(tx).update(model.id, changes.name, changes.config_schema);
    nlohmann::json details = nlohmann::json::object();
    if (changes.name) details["name"] = *changes.name;
    if (changes.config_schema) details["config_schema"] = changes.config_schema->has_value() ? "set" : "cleared";
    store::record(tx, {s.actor, "model.update", "model", code, details});
    return require_model(tx, code);
  });
}

core::Status delete_model(Session& s, const std::string& code) {
  return store::in_transaction(s.db, "delete device model '" + code + "'", [&](pqxx::work& tx) {
    const auto model = require_model(tx, code, true);
    const auto devices = store::ModelRepository(tx).count_devices(model.id);
    if (devices > 0)
      throw core::Failure(core::Error::conflict(
          "device model '" + code + "' still has " + std::to_string(devices) + " device(s)",
          "delete them first ('iot-provision device list --model " + code + "' lists them)"));
    store::ModelRepository(tx).remove(model.id);
    store::record(tx, {s.actor, "model.delete", "model", code, {{"name", model.name}}});
  });
}

}  // namespace iotfleet::fleet
