#pragma once
// Randomness behind a small interface (STYLE.md §6): production uses OpenSSL's CSPRNG;
// tests may substitute a deterministic source.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace iotfleet::core {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  /// Fills out with random bytes. Throws Failure if the source cannot deliver.
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

/// OpenSSL's RAND_bytes: the only source used for keys, secrets and serials.
RandomSource& system_random();

std::vector<std::uint8_t> random_bytes(std::size_t n, RandomSource& rng = system_random());

/// A string of n characters drawn uniformly from alphabet (rejection sampling, no modulo bias).
std::string random_string(std::size_t n, std::string_view alphabet,
                          RandomSource& rng = system_random());

}  // namespace iotfleet::core
