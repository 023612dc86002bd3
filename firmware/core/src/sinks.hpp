#pragma once
// Response bodies the core keeps (small JSON documents) or throws away.

#include <cstring>

#include "iot_device/ports.hpp"

namespace iot_device::detail {

/// Keeps the body in a fixed buffer; a longer body is read to the end but marked overflowed.
class BufferSink final : public BodySink {
 public:
  BufferSink(char* buffer, std::size_t capacity) : buffer_(buffer), capacity_(capacity) {}
  bool write(const std::uint8_t* data, std::size_t n) override {
    if (overflowed_ || size_ + n > capacity_) {
      overflowed_ = true;
      return true;
    }
    std::memcpy(buffer_ + size_, data, n);
    size_ += n;
    return true;
  }
  /// The body, or empty when it did not fit.
  std::string_view view() const {
    return overflowed_ ? std::string_view() : std::string_view(buffer_, size_);
  }
  bool overflowed() const { return overflowed_; }

 private:
  char* buffer_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  bool overflowed_ = false;
};

}  // namespace iot_device::detail
