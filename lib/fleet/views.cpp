#include "fleet/views.hpp"

namespace iotfleet::fleet {
namespace {

template <class T>
nlohmann::ordered_json or_null(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json to_json(const store::DeviceModel& m) {
  return {{"code", m.code},
          {"name", m.name},
          {"config_schema", m.config_schema ? nlohmann::ordered_json::parse(m.config_schema->dump())
                                            : nlohmann::ordered_json(nullptr)},
          {"devices", m.device_count},
          {"created_at", m.created_at},
          {"updated_at", m.updated_at}};
}

nlohmann::ordered_json to_json(const store::Device& d) {
  return {{"key", d.key},
          {"client_id", d.client_id},
          {"model", d.model_code},
          {"name", or_null(d.name)},
          {"active", d.active},
          {"identity", d.identity_kind},
          {"config", nlohmann::ordered_json::parse(d.config.dump())},
          {"rotation",
           {{"state", d.rotation_state},
            {"attempts", d.rotation_attempts},
            {"attempt_at", or_null(d.rotation_attempt_at)},
            {"next_attempt_at", or_null(d.next_attempt_at)},
            {"secret_created_at", d.secret_created_at},
            {"last_completed_at", or_null(d.last_rotation_completed_at)}}},
          {"certificate",
           d.certificate_serial
               ? nlohmann::ordered_json{{"serial", *d.certificate_serial},
                                        {"not_after", or_null(d.certificate_not_after)}}
               : nlohmann::ordered_json(nullptr)},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at}};
}

std::vector<std::string> model_table_headers() { return {"CODE", "NAME", "DEVICES", "SCHEMA", "CREATED"}; }

std::vector<std::string> model_table_row(const store::DeviceModel& m) {
  return {m.code, m.name, std::to_string(m.device_count), m.config_schema ? "yes" : "no", m.created_at};
}

std::vector<std::string> device_table_headers() {
  return {"KEY", "MODEL", "NAME", "ACTIVE", "IDENTITY", "ROTATION", "CREATED"};
}

std::vector<std::string> device_table_row(const store::Device& d) {
  return {d.key, d.model_code, d.name.value_or("-"), d.active ? "yes" : "no",
          d.identity_kind, d.rotation_state, d.created_at};
}

std::vector<std::pair<std::string, std::string>> device_fields(const store::Device& d) {
  std::vector<std::pair<std::string, std::string>> fields = {{"key", d.key},
          {"client id", d.client_id},
          {"model", d.model_code},
          {"name", d.name.value_or("-")},
          {"active", d.active ? "yes" : "no"},
          {"identity", d.identity_kind},
          {"config", d.config.dump()},
          {"rotation", d.rotation_state + (d.rotation_attempts ? " (" + std::to_string(d.rotation_attempts) +
                                                                     " failed attempts)"
                                                               : std::string())},
          {"secret created", d.secret_created_at},
          {"last rotation", d.last_rotation_completed_at.value_or("never")},
          {"created", d.created_at},
          {"updated", d.updated_at}};
  if (d.certificate_serial)
    fields.insert(fields.begin() + 6, {"certificate", *d.certificate_serial + " (valid until " +
                                                         d.certificate_not_after.value_or("?") + ")"});
  return fields;
}

std::vector<std::pair<std::string, std::string>> model_fields(const store::DeviceModel& m) {
  return {{"code", m.code},
          {"name", m.name},
          {"devices", std::to_string(m.device_count)},
          {"config schema", m.config_schema ? m.config_schema->dump() : "none"},
          {"created", m.created_at},
          {"updated", m.updated_at}};
}

}  // namespace iotfleet::fleet
