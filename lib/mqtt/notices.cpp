#include "mqtt/notices.hpp"

#include <nlohmann/json.hpp>
#include <regex>

namespace iotfleet::mqtt {
namespace {

core::Status require_text(std::string_view notice, std::string_view field, std::string_view value) {
  if (value.empty())
    return core::Error::failure(std::string(notice) + " notice: " + std::string(field) +
                                " is empty");
  return core::ok_status();
}

core::Status require_time(std::string_view notice, std::string_view value) {
  if (!is_iso8601_timestamp(value))
    return core::Error::failure(std::string(notice) + " notice: issued_at '" + std::string(value) +
                                "' is not an ISO-8601 time such as 2026-12-05T08:00:00Z");
  return core::ok_status();
}

// nlohmann::json throws on invalid UTF-8 when dumping; replace keeps a notice always sendable.
std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

bool is_iso8601_timestamp(std::string_view text) {
  static const std::regex re(
      R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$)");
  return std::regex_match(text.begin(), text.end(), re);
}

core::Result<std::string> rotation_notice(std::string_view client_id, std::string_view device_key,
                                          std::string_view issued_at_iso) {
  for (auto s : {require_text("rotation", "client_id", client_id),
                 require_text("rotation", "device_key", device_key),
                 require_time("rotation", issued_at_iso)})
    if (!s) return s.error();
  return dump({{"client_id", client_id},
               {"device_key", device_key},
               {"issued_at", issued_at_iso},
               {"kind", "rotation"}});
}

core::Result<std::string> firmware_notice(std::string_view model, std::string_view version,
                                          std::string_view sha256_hex,
                                          std::string_view issued_at_iso) {
  for (auto s :
       {require_text("firmware", "model", model), require_text("firmware", "version", version),
        require_time("firmware", issued_at_iso)})
    if (!s) return s.error();
  std::string digest(sha256_hex);
  bool hex = digest.size() == 64;
  for (char& c : digest) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!hex)
    return core::Error::failure("firmware notice: sha256 '" + std::string(sha256_hex) +
                                "' is not 64 hexadecimal digits");
  return dump({{"issued_at", issued_at_iso},
               {"kind", "firmware"},
               {"model", model},
               {"sha256", digest},
               {"version", version}});
}

}  // namespace iotfleet::mqtt
