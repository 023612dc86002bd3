#pragma once
// Device model operations as iot-provision performs them: validated, audited, one transaction
// each. Errors carry the kinds of DESIGN.md (unknown model → not_found, duplicate → conflict).

#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/models.hpp"

namespace iotfleet::fleet {

/// What every operation needs: the database and who is acting (for the audit log).
struct Session {
  pqxx::connection& db;
  std::string actor;
};

core::Result<store::DeviceModel> create_model(Session& s, const std::string& code, const std::string& name,
                                              const std::optional<nlohmann::json>& config_schema);
core::Result<std::vector<store::DeviceModel>> list_models(Session& s);
core::Result<store::DeviceModel> show_model(Session& s, const std::string& code);

struct ModelChanges {
  std::optional<std::string> name;
  std::optional<std::optional<nlohmann::json>> config_schema;  // set, or clear with nullopt inside
};
/// A new schema is refused (conflict) while existing device configs fail it; the error lists them.
core::Result<store::DeviceModel> update_model(Session& s, const std::string& code, const ModelChanges& changes);
/// Refused (conflict) while devices of the model exist; the error says how many.
core::Status delete_model(Session& s, const std::string& code);

/// Loads a model or throws a not_found Failure naming it.
store::DeviceModel require_model(pqxx::transaction_base& tx, const std::string& code, bool for_update = false);

}  // namespace iotfleet::fleet
