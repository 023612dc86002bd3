// TextBuilder (see text.hpp).

#include "text.hpp"

#include <cstring>

namespace iot_device::detail {

TextBuilder& TextBuilder::append(std::string_view s) {
  if (!ok_ || size_ + s.size() + 1 > capacity_) {
    ok_ = false;
    return *this;
  }
  std::memcpy(buffer_ + size_, s.data(), s.size());
  size_ += s.size();
  buffer_[size_] = '\0';
  return *this;
}

TextBuilder& TextBuilder::append_uint(std::uint32_t value) {
  char digits[10];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  char reversed[10];
  for (std::size_t i = 0; i < n; ++i) reversed[i] = digits[n - 1 - i];
  return append(std::string_view(reversed, n));
}

}  // namespace iot_device::detail
