#pragma once
// DeviceDirectory over PostgreSQL, through store::DeviceRepository.

#include <pqxx/pqxx>

#include "auth/directory.hpp"

namespace iotfleet::auth {

/// One query per lookup on the given connection. Not thread-safe: one per thread.
class DatabaseDirectory final : public DeviceDirectory {
 public:
  explicit DatabaseDirectory(pqxx::connection& db) : db_(db) {}
  core::Result<std::optional<DeviceRecord>> find(const std::string& device_key) override;

 private:
  pqxx::connection& db_;
};

}  // namespace iotfleet::auth
