#pragma once
// What iot-seal does to a stream, as library calls the executable and the tests share.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "seal/document.hpp"

namespace iotfleet::seal {

/// Seals every Secret of a stream; the outputs follow one another (YAML documents each start
/// with "---"). Nothing is returned unless every Secret sealed.
core::Result<std::string> seal_stream(std::string_view input, const std::string& source,
                                      const RsaKey& public_key, const SealOptions& options,
                                      Format format);

/// kubeseal --raw: one value for namespace/name under scope, as base64 without a newline.
/// Strict scope needs both names, namespace-wide the namespace; cluster-wide neither.
core::Result<std::string> seal_raw(std::span<const std::uint8_t> value, const RsaKey& public_key,
                                   Scope scope, const std::string& ns, const std::string& name);

/// Decrypts every SealedSecret of a stream back into Secrets (offline recovery).
core::Result<std::string> unseal_stream(std::string_view input, const std::string& source,
                                        std::span<const RsaKey> keys, Format format);

struct Validation {
  std::string ns;
  std::string name;
  std::size_t values = 0;
};

/// Checks that every value of every SealedSecret of a stream decrypts with keys under its
/// label. Fails naming every SealedSecret and key that does not.
core::Result<std::vector<Validation>> validate_stream(std::string_view input,
                                                      const std::string& source,
                                                      std::span<const RsaKey> keys);

}  // namespace iotfleet::seal
