#include "store/audit.hpp"

#include <unistd.h>

#include "core/config.hpp"

namespace iotfleet::store {

void record(pqxx::transaction_base& tx, const AuditEntry& entry) {
  tx.exec_params(
      "INSERT INTO audit_log (actor, action, object_kind, object_id, details) "
      "VALUES ($1, $2, $3, $4, $5::jsonb)",
      entry.actor, entry.action, entry.object_kind, entry.object_id, entry.details.dump());
}

std::string default_actor() {
  if (auto actor = core::process_env("IOT_ACTOR")) return *actor;
  std::string user = core::process_env("USER").value_or("unknown");
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return user;
  return user + "@" + host;
}

}  // namespace iotfleet::store
