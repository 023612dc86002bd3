#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/encoding.hpp"

namespace iotfleet::store {

struct Device {
  std::int64_t id = 0;
  std::string key;
  std::int64_t model_id = 0;
  std::string model_code;
  std::optional<std::string> name;
  nlohmann::json config = nlohmann::json::object();
  bool active = true;
  std::string identity_kind;  // local | keycloak | cert
  std::string client_id;
  std::optional<std::string> secret_sealed;
  std::string rotation_state;  // OK | QUEUED | PENDING | TIMEOUT
  int rotation_attempts = 0;
  std::optional<std::string> rotation_attempt_at;
  std::optional<std::string> next_attempt_at;
  std::string secret_created_at;
  std::optional<std::string> last_rotation_completed_at;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> certificate_serial;     // cert identity
  std::optional<std::string> certificate_not_after;  // ISO UTC
};

/// One row for insert_batch(); the credential columns are filled by the caller's identity.
struct NewDevice {
  std::string key;
  std::string client_id;
  std::optional<std::string> name;
  std::optional<core::Bytes> secret_hmac;
  std::optional<std::string> secret_sealed;
};

struct DeviceFilter {
  std::optional<std::int64_t> model_id;
  std::optional<std::string> rotation_state;
  bool only_inactive = false;
};

class DeviceRepository {
 public:
  explicit DeviceRepository(pqxx::transaction_base& tx) : tx_(tx) {}

  /// Inserts rows of one model with one config and identity kind, with an audit entry each.
  /// Rows whose key or client id already exists are skipped; returns the keys inserted.
  std::vector<std::string> insert_batch(std::int64_t model_id, const std::string& model_code,
                                        const nlohmann::json& config, const std::string& identity_kind,
                                        const std::vector<NewDevice>& rows, const std::string& actor);

  std::optional<Device> find(const std::string& key, bool for_update = false);
  /// A cert identity's certificate (PEM), its serial (hex) and expiry ("2026-…Z").
  void set_certificate(const std::string& key, const std::string& pem, const std::string& serial,
                       const std::string& not_after);
  std::vector<Device> list(const DeviceFilter& filter);
  /// (key, config) of every device of a model, to re-check configs against a new schema.
  std::vector<std::pair<std::string, nlohmann::json>> configs_of_model(std::int64_t model_id);

  void set_config(std::int64_t id, const nlohmann::json& config);
  void set_active(std::int64_t id, bool active);
  void remove(std::int64_t id);

 private:
  pqxx::transaction_base& tx_;
};

/// A PostgreSQL array literal of text ("{"a","b",NULL}") for unnest($n::text[]) parameters.
std::string text_array_literal(const std::vector<std::optional<std::string>>& values);

}  // namespace iotfleet::store
