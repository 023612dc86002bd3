#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace iotfleet::store {

struct DeviceModel {
  std::int64_t id = 0;
  std::string code;
  std::string name;
  std::optional<nlohmann::json> config_schema;
  std::int64_t device_count = 0;
  std::string created_at;
  std::string updated_at;
};

/// device_models. Methods throw core::Failure (or libpqxx exceptions, for in_transaction to
/// translate); lookups by code return nullopt when absent.
class ModelRepository {
 public:
  explicit ModelRepository(pqxx::transaction_base& tx) : tx_(tx) {}

  std::optional<DeviceModel> find(const std::string& code, bool for_update = false);
  std::vector<DeviceModel> list();
  /// Throws a conflict Failure when the code exists.
  DeviceModel insert(const std::string& code, const std::string& name,
                     const std::optional<nlohmann::json>& config_schema);
  void update(std::int64_t id, const std::optional<std::string>& name,
              const std::optional<std::optional<nlohmann::json>>& config_schema);
  void remove(std::int64_t id);
  std::int64_t count_devices(std::int64_t id);

 private:
  pqxx::transaction_base& tx_;
};

}  // namespace iotfleet::store
