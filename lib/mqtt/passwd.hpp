#pragma once
// Mosquitto's file-based authentication (specs/formats.md "Mosquitto password file"): the
// password file mosquitto_passwd writes, and the ACL file giving each device its own topics.
// Lines are `user:$7$<iterations>$<salt>$<digest>` with PBKDF2-HMAC-SHA512 over a 12-byte salt
// and a 64-byte digest, both standard base64 with padding (mosquitto 2.0's default, 101
// iterations). `$6$` lines (one SHA-512 over password ‖ salt, mosquitto 1.x) are verified too.

#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace iotfleet::mqtt {

inline constexpr int kPasswdIterations = 101;
inline constexpr std::size_t kPasswdSaltBytes = 12;

/// The `$7$` line for a user, with this salt (12 bytes) and iteration count. Fails (usage) when
/// the user name is empty or contains ':' or a line break, or the password a line break.
core::Result<std::string> passwd_line(std::string_view username, std::string_view password,
                                      std::span<const std::uint8_t> salt,
                                      int iterations = kPasswdIterations);
/// As above with a fresh random salt.
core::Result<std::string> passwd_line(std::string_view username, std::string_view password,
                                      core::RandomSource& rng = core::system_random());

/// Whether `line` (`user:$7$…` or `user:$6$…`) is for `username` and holds `password`.
/// The digest comparison is constant-time.
bool passwd_line_matches(std::string_view line, std::string_view username,
                         std::string_view password);

/// What a device's ACL entry needs. A device with a password identity connects with user name =
/// its client id; one with a certificate identity with user name = its certificate's CN, the
/// device key (use_identity_as_username).
struct AclDevice {
  std::string key;
  std::string client_id;
  std::string model_code;
  std::string username;
};

/// The ACL file: per device `user <username>`, then write sensors/<key>/# and
/// devices/<key>/status, read commands/<key>/#, broadcast/#, iotsupport/<client_id>/# and
/// iotsupport/models/<model>/firmware. Fails when an identifier could escape its topic level.
core::Result<std::string> acl_file(const std::vector<AclDevice>& devices);

}  // namespace iotfleet::mqtt
