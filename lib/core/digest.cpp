#include "core/digest.hpp"

#include <openssl/evp.h>

#include "core/error.hpp"

namespace iotfleet::core {

Sha256Digest sha256(std::span<const std::uint8_t> data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
    throw Failure(Error::failure("SHA-256 failed (OpenSSL EVP_Digest)"));
  return out;
}

}  // namespace iotfleet::core
