#pragma once
// Private keys for the device CA, broker and devices, through OpenSSL 3's EVP interface only:
// EC P-256 (the default: small, fast, what ESP32's mbedTLS handles best) or RSA 2048/4096.
// A key leaves memory as PKCS#8 PEM: for the CA key encrypted under a passphrase (PBES2:
// PBKDF2-HMAC-SHA256 and AES-256-CBC, what `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes), for
// broker and device keys unencrypted, since they live (0600) on the host that uses them.

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace iotfleet::pki {

enum class KeyType { ec_p256, rsa_2048, rsa_4096 };

/// "ec-p256", "rsa-2048", "rsa-4096"; anything else is a usage error listing these.
core::Result<KeyType> parse_key_type(std::string_view text);
std::string_view key_type_name(KeyType type);

/// The shortest accepted CA passphrase.
inline constexpr std::size_t kMinPassphraseLength = 8;

class PrivateKey {
 public:
  static core::Result<PrivateKey> generate(KeyType type);
  /// Reads a PEM private key: PKCS#8 (encrypted or not) or a traditional RSA/EC key, also with
  /// OpenSSL's "Proc-Type: 4,ENCRYPTED" headers (as older CAs such as OS2IoT's write them).
  /// An encrypted key without a passphrase, or a wrong passphrase, is a failure that says so.
  /// `what` names the key in messages (a path).
  static core::Result<PrivateKey> from_pem(std::string_view pem,
                                           const std::optional<std::string>& passphrase,
                                           const std::string& what);

  /// Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
  std::string to_pem() const;
  /// PKCS#8 PEM encrypted with AES-256-CBC ("BEGIN ENCRYPTED PRIVATE KEY").
  core::Result<std::string> to_encrypted_pem(const std::string& passphrase) const;
  /// The public key as PEM (SubjectPublicKeyInfo), e.g. to compare keys.
  std::string public_pem() const;

  bool is_rsa() const;
  /// "EC P-256", "RSA 2048", ...
  std::string describe() const;
  EVP_PKEY* get() const { return key_.get(); }

  /// Adopts a key (takes ownership).
  explicit PrivateKey(EVP_PKEY* key);

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

/// A description of any public key ("EC P-256", "RSA 2048").
std::string describe_key(EVP_PKEY* key);

}  // namespace iotfleet::pki
