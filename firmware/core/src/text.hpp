#pragma once
// Appending text into a caller's fixed buffer: URLs, headers and form bodies without allocation.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace iot_device::detail {

class TextBuilder {
 public:
  TextBuilder(char* buffer, std::size_t capacity) : buffer_(buffer), capacity_(capacity) {
    if (capacity_ > 0) buffer_[0] = '\0';
  }
  /// Appends what fits; once something did not fit, ok() stays false.
  TextBuilder& append(std::string_view s);
  TextBuilder& append(char c) { return append(std::string_view(&c, 1)); }
  TextBuilder& append_uint(std::uint32_t value);
  bool ok() const { return ok_; }
  std::string_view view() const { return {buffer_, size_}; }
  std::size_t size() const { return size_; }

 private:
  char* buffer_;
  std::size_t capacity_;  // including the terminating NUL
  std::size_t size_ = 0;
  bool ok_ = true;
};

}  // namespace iot_device::detail
