#pragma once
// Kubernetes Secrets in, SealedSecrets out (and back, for recovery), as kubeseal reads and
// writes them: YAML or JSON, several documents per stream ("---" separated, or a List).
// Document shape: ../shared/specs/formats.md "Sealed Secrets" and
// ../shared/fixtures/sealed-secrets/README.md.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "seal/hybrid.hpp"

namespace iotfleet::seal {

using StringMap = std::map<std::string, std::string>;

/// A v1 Secret. data and stringData are merged into data (stringData wins, as in Kubernetes).
struct Secret {
  std::string name;
  std::string ns;
  std::string type;  // empty: not given
  StringMap labels;
  StringMap annotations;
  std::optional<bool> immutable;
  std::map<std::string, core::Bytes> data;
};

struct SecretTemplate {
  std::string name;
  std::string ns;
  StringMap labels;
  StringMap annotations;
  std::string type;
  std::optional<bool> immutable;
};

/// A bitnami.com/v1alpha1 SealedSecret with per-value encryption (spec.encryptedData).
struct SealedSecret {
  std::string name;
  std::string ns;
  StringMap labels;
  StringMap annotations;  // carries the scope annotation when not strict
  SecretTemplate templ;
  StringMap encrypted_data;  // key -> base64 of the hybrid ciphertext

  /// The scope the controller will use: from metadata.annotations.
  Scope scope() const;
};

enum class Format { json, yaml };
core::Result<Format> parse_format(std::string_view text);

/// Every Secret of a stream. Empty documents are skipped; anything that is not a v1 Secret, a
/// value of data that is not base64, or a key Kubernetes would refuse is an error naming the
/// document ("<source>: document 2 (Secret db): ...").
core::Result<std::vector<Secret>> parse_secrets(std::string_view text, const std::string& source);
core::Result<std::vector<SealedSecret>> parse_sealed_secrets(std::string_view text,
                                                             const std::string& source);

struct SealOptions {
  std::optional<Scope> scope;  // unset or strict: the Secret's own scope annotations decide
  std::string name;            // overrides metadata.name when set (kubeseal --name)
  std::string ns;              // overrides metadata.namespace when set (kubeseal --namespace)
  bool allow_empty_data = false;
};

/// Seals every value of secret, like kubeseal: the template copies the Secret's labels,
/// annotations (minus kubectl's last-applied copy), type and immutable. Fails on a missing name,
/// a missing namespace (unless cluster-wide) and, unless allowed, a Secret without data.
core::Result<SealedSecret> seal_secret(Secret secret, const RsaKey& public_key,
                                       const SealOptions& options = {});

/// kubeseal's output: YAML is "---" then the document with sorted keys; JSON keeps the field
/// order of the Go types (kind, apiVersion, metadata, spec.template, spec.encryptedData).
std::string format_sealed(const SealedSecret& sealed, Format format);
std::string format_secret(const Secret& secret, Format format);

/// Decrypts every value with the first key that opens it, under the label of the SealedSecret's
/// own scope. Fails naming every key that no key opens.
core::Result<Secret> unseal(const SealedSecret& sealed, std::span<const RsaKey> keys);

}  // namespace iotfleet::seal
