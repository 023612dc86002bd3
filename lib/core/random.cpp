#include "core/random.hpp"

#include <openssl/rand.h>

#include <climits>

#include "core/error.hpp"

namespace iotfleet::core {
namespace {

class OpenSslRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    if (out.empty()) return;
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
      throw Failure(Error::failure("the system random generator failed (OpenSSL RAND_bytes)"));
  }
};

}  // namespace

RandomSource& system_random() {
  static OpenSslRandom instance;
  return instance;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, RandomSource& rng) {
  std::vector<std::uint8_t> out(n);
  rng.fill(out);
  return out;
}

std::string random_string(std::size_t n, std::string_view alphabet, RandomSource& rng) {
  if (alphabet.empty() || alphabet.size() > 256)
    throw Failure(Error::failure("random_string: alphabet must have 1 to 256 characters"));
  // Accept only bytes below the largest multiple of the alphabet size, so every character
  // is equally likely.
  const unsigned limit = 256 - (256 % alphabet.size());
  std::string out;
  out.reserve(n);
  std::uint8_t buffer[64];
  while (out.size() < n) {
    rng.fill(buffer);
    for (std::uint8_t b : buffer) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % alphabet.size()]);
      if (out.size() == n) break;
    }
  }
  return out;
}

}  // namespace iotfleet::core
