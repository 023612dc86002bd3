#pragma once
// The JSON payloads the toolkit publishes to devices (specs/rotation.md): compact, keys sorted,
// so a device parser and a test can rely on the exact bytes. They name what changed, never a
// secret: the device fetches the credential or image itself over authenticated HTTP.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace iotfleet::mqtt {

/// {"client_id":…,"device_key":…,"issued_at":…,"kind":"rotation"}. Fails (ErrorKind::failure)
/// on an empty id or key, or an issued_at that is not ISO-8601 ("2026-12-05T08:00:00Z").
core::Result<std::string> rotation_notice(std::string_view client_id, std::string_view device_key,
                                          std::string_view issued_at_iso);

/// {"issued_at":…,"kind":"firmware","model":…,"sha256":…,"version":…}, sha256 as 64 lowercase
/// hex digits (uppercase input is lowered). Fails on an empty model or version, a digest that is
/// not 64 hex digits, or a bad issued_at.
core::Result<std::string> firmware_notice(std::string_view model, std::string_view version,
                                          std::string_view sha256_hex,
                                          std::string_view issued_at_iso);

/// True for "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)".
bool is_iso8601_timestamp(std::string_view text);

}  // namespace iotfleet::mqtt
