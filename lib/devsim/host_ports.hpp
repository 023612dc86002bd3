#pragma once
// The device core's small ports on the host: steady clock, a seeded Mersenne twister, SHA-256
// over OpenSSL EVP, and an OTA slot in memory whose restart records the new version.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "iot_device/ports.hpp"

namespace iotfleet::devsim {

class SteadyClock final : public iot_device::Clock {
 public:
  std::uint64_t monotonic_ms() override;
};

class SeededRandom final : public iot_device::Random {
 public:
  explicit SeededRandom(std::uint32_t seed) : engine_(seed) {}
  std::uint32_t next_u32() override { return static_cast<std::uint32_t>(engine_()); }

 private:
  std::mt19937 engine_;
};

class EvpSha256 final : public iot_device::Sha256 {
 public:
  EvpSha256();
  ~EvpSha256();
  EvpSha256(const EvpSha256&) = delete;
  EvpSha256& operator=(const EvpSha256&) = delete;
  void begin() override;
  void update(const std::uint8_t* data, std::size_t n) override;
  void finish(std::uint8_t out[32]) override;

 private:
  void* ctx_;  // EVP_MD_CTX
};

/// The inactive slot as a buffer: writes must stay inside the announced size; finish() marks
/// the image bootable; restart() "boots" it (records the version) and frees the buffer.
class MemorySlot final : public iot_device::FirmwareSlot {
 public:
  bool begin(std::uint32_t total_size) override;
  bool write(std::uint32_t offset, const std::uint8_t* data, std::size_t n) override;
  bool finish() override;
  void abort() override;
  void restart(std::string_view new_version) override;

  /// Versions booted by restart(), oldest first.
  const std::vector<std::string>& booted() const { return booted_; }
  /// Largest image accepted (bytes); a bigger one is refused like a too-small OTA partition.
  static constexpr std::uint32_t kMaxImage = 16u << 20;

 private:
  std::vector<std::uint8_t> image_;
  std::uint32_t written_ = 0;
  bool open_ = false;
  bool ready_ = false;
  std::vector<std::string> booted_;
};

}  // namespace iotfleet::devsim
