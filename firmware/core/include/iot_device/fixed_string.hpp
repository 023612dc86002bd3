#pragma once
// A string of at most N bytes stored inline: what the core keeps instead of std::string.

#include <cstddef>
#include <cstring>
#include <string_view>

namespace iot_device {

template <std::size_t N>
class FixedString {
 public:
  FixedString() = default;
  /// False (and left unchanged) when the text does not fit.
  bool assign(std::string_view s) {
    if (s.size() > N) return false;
    std::memcpy(data_, s.data(), s.size());
    size_ = s.size();
    data_[size_] = '\0';
    return true;
  }
  void clear() {
    size_ = 0;
    data_[0] = '\0';
  }
  std::string_view view() const { return {data_, size_}; }
  const char* c_str() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  static constexpr std::size_t capacity() { return N; }
  char* buffer() { return data_; }
  /// After writing into buffer(): the length written (must be <= N).
  void set_size(std::size_t n) {
    size_ = n <= N ? n : N;
    data_[size_] = '\0';
  }
  bool operator==(std::string_view s) const { return view() == s; }

 private:
  char data_[N + 1] = {};
  std::size_t size_ = 0;
};

}  // namespace iot_device
