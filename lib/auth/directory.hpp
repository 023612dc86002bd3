#pragma once
// How the authenticator learns about devices. The endpoint (iot-serve) implements this over its
// in-memory copy of the devices table; DatabaseDirectory (database_directory.hpp) reads
// PostgreSQL directly.

#include <optional>
#include <string>

#include "core/encoding.hpp"
#include "core/error.hpp"

namespace iotfleet::auth {

struct DeviceRecord {
  std::string key;
  std::string model_code;
  std::string client_id;
  std::string identity_kind;  // local | keycloak | cert
  bool active = true;
  std::optional<core::Bytes> secret_hmac;  // local identities
  // cert identities: the serial of the certificate in use, and while a rotation is unproven the
  // one it replaces (either is accepted then). No serial recorded: any certificate of the CA
  // with the device's CN (one issued before the toolkit recorded certificates).
  std::optional<std::string> certificate_serial, previous_certificate_serial;
};

class DeviceDirectory {
 public:
  virtual ~DeviceDirectory() = default;
  /// The device with this key, or nullopt when there is none (never created or deleted). An
  /// error (the database is down) makes authentication fail closed.
  virtual core::Result<std::optional<DeviceRecord>> find(const std::string& device_key) = 0;
};

}  // namespace iotfleet::auth
