#include "devsim/host_ports.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <cstring>

namespace iotfleet::devsim {

std::uint64_t SteadyClock::monotonic_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

EvpSha256::EvpSha256() : ctx_(EVP_MD_CTX_new()) {}
EvpSha256::~EvpSha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void EvpSha256::begin() { EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr); }

void EvpSha256::update(const std::uint8_t* data, std::size_t n) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n);
}

void EvpSha256::finish(std::uint8_t out[32]) {
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &length);
}

bool MemorySlot::begin(std::uint32_t total_size) {
  if (total_size == 0 || total_size > kMaxImage) return false;
  image_.assign(total_size, 0xFF);  // erased flash
  written_ = 0;
  open_ = true;
  ready_ = false;
  return true;
}

bool MemorySlot::write(std::uint32_t offset, const std::uint8_t* data, std::size_t n) {
  if (!open_ || offset > image_.size() || n > image_.size() - offset) return false;
  std::memcpy(image_.data() + offset, data, n);
  if (offset + n > written_) written_ = static_cast<std::uint32_t>(offset + n);
  return true;
}

bool MemorySlot::finish() {
  if (!open_ || written_ != image_.size()) return false;
  open_ = false;
  ready_ = true;
  return true;
}

void MemorySlot::abort() {
  image_.clear();
  image_.shrink_to_fit();
  open_ = ready_ = false;
  written_ = 0;
}

void MemorySlot::restart(std::string_view new_version) {
  booted_.emplace_back(new_version);
  abort();
}

}  // namespace iotfleet::devsim
