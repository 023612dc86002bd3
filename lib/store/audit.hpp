#pragma once
// audit_log: who did what to which object, and when, for every mutating command.

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

namespace iotfleet::store {

struct AuditEntry {
  std::string actor;
  std::string action;       // "device.create", "model.delete", ...
  std::string object_kind;  // "device", "model", ...
  std::string object_id;
  nlohmann::json details = nlohmann::json::object();  // never a secret
};

void record(pqxx::transaction_base& tx, const AuditEntry& entry);

/// The actor recorded for this process: IOT_ACTOR, else "<user>@<host>".
std::string default_actor();

}  // namespace iotfleet::store
