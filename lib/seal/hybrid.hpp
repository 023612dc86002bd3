#pragma once
// Sealed Secrets hybrid encryption (../shared/specs/formats.md "Sealed Secrets"), byte for byte
// what the Bitnami controller's HybridEncrypt/HybridDecrypt produce and accept:
//   u16 big-endian length of the RSA part ‖ RSA-OAEP(SHA-256, MGF1-SHA-256, label)(32-byte AES key)
//   ‖ AES-256-GCM(key, 12 zero bytes, no AAD)(value) with its 16-byte tag.
// The zero nonce is safe only because every value gets a fresh AES key; never reuse a key.
// All primitives are OpenSSL 3 EVP calls.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.hpp"
#include "core/error.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace iotfleet::seal {

/// The three sealing scopes of sealed-secrets; strict is the default.
enum class Scope { strict, namespace_wide, cluster_wide };

/// "strict", "namespace-wide", "cluster-wide".
const char* scope_name(Scope scope);
/// Parses a scope name; a usage error lists the three names.
core::Result<Scope> parse_scope(std::string_view text);

/// The OAEP label for a value of Secret namespace/name: "namespace/name" (strict), "namespace"
/// (namespace-wide) or "" (cluster-wide).
std::string encryption_label(Scope scope, std::string_view ns, std::string_view name);

/// The annotations that mark a non-strict scope, as the controller reads them.
inline constexpr std::string_view kNamespaceWideAnnotation =
    "sealedsecrets.bitnami.com/namespace-wide";
inline constexpr std::string_view kClusterWideAnnotation = "sealedsecrets.bitnami.com/cluster-wide";

/// An RSA key held by OpenSSL (public only, or a private key). Cheap to copy.
class RsaKey {
 public:
  RsaKey() = default;
  /// Takes ownership of pkey, which must be an RSA key.
  explicit RsaKey(EVP_PKEY* pkey);
  EVP_PKEY* get() const { return key_.get(); }
  explicit operator bool() const { return static_cast<bool>(key_); }
  int bits() const;
  /// SHA-256 of the DER SubjectPublicKeyInfo, hex: identifies the key in state files.
  std::string public_key_digest() const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

/// Encrypts one value for the key's owner under label. Throws core::Failure only when OpenSSL
/// itself fails (e.g. a key too small for OAEP with SHA-256).
core::Bytes hybrid_encrypt(const RsaKey& public_key, std::span<const std::uint8_t> plaintext,
                           std::string_view label);

/// Decrypts one value with the first of keys that opens it under label; nullopt when none does
/// (wrong key, wrong label, or a damaged ciphertext: the GCM tag or OAEP check fails).
std::optional<core::Bytes> hybrid_decrypt(std::span<const RsaKey> keys,
                                          std::span<const std::uint8_t> ciphertext,
                                          std::string_view label);

}  // namespace iotfleet::seal
