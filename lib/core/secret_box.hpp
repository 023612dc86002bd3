#pragma once
// The secret box seals secrets kept in the database (DESIGN.md "Secrets"): AES-256-GCM under a
// key ring read from IOT_SECRET_KEY = "kid:base64key[,kid:base64key...]". The first key seals;
// every key opens, so a key can be rotated by putting the new one first and re-sealing later.
//
// Sealed form: "sb1:<kid>:<base64(nonce[12] || ciphertext || tag[16])>". The caller's context
// string (e.g. "device:k3x9a2b1:secret") is authenticated as AAD, so a sealed value copied to
// another row or column does not open.

#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.hpp"
#include "core/error.hpp"

namespace iotfleet::core {

class SecretBox {
 public:
  struct Key {
    std::string id;
    Bytes material;  // 32 bytes
  };

  /// Parses a key ring; errors name the entry that is wrong, never the key material.
  static Result<SecretBox> from_keyring(std::string_view keyring);
  /// A fresh "kid:base64" key ring entry, for set-up scripts.
  static std::string generate_keyring_entry(std::string_view kid);

  std::string seal(std::string_view plaintext, std::string_view context) const;
  /// Fails (ErrorKind::failure) on an unknown key id, a malformed value or a failed tag check.
  Result<std::string> open(std::string_view sealed, std::string_view context) const;

  const std::string& sealing_key_id() const { return keys_.front().id; }
  /// True if the value is sealed with a key other than the current sealing key.
  bool needs_reseal(std::string_view sealed) const;

 private:
  explicit SecretBox(std::vector<Key> keys) : keys_(std::move(keys)) {}
  std::vector<Key> keys_;
};

}  // namespace iotfleet::core
