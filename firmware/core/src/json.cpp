// Flat JSON field extraction (see json.hpp). A small scanner over the top level of one object;
// nested values are skipped, not interpreted. Malformed input makes every lookup fail.

#include "json.hpp"

namespace iot_device::detail {
namespace {

constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  /// Position of the value of `key` at the top level, or kNotFound.
  std::size_t find(std::string_view key) {
    skip_space();
    if (!eat('{')) return kNotFound;
    skip_space();
    if (eat('}')) return kNotFound;
    for (;;) {
      char name[64];
      int length = string(name, sizeof name);
      const bool long_name = length == -2;
      if (length == -1) return kNotFound;
      skip_space();
      if (!eat(':')) return kNotFound;
      skip_space();
      if (!long_name && std::string_view(name, static_cast<std::size_t>(length)) == key)
        return pos_;
      if (!skip_value(0)) return kNotFound;
      skip_space();
      if (eat(',')) {
        skip_space();
        continue;
      }
      return kNotFound;  // '}' (key absent) or malformed
    }
  }

  /// Reads a string at the current position into out; returns its length, -2 when it does not
  /// fit (but is well formed and skipped), -1 when malformed. A null out only skips.
  int string(char* out, std::size_t cap) {
    if (!eat('"')) return -1;
    std::size_t n = 0;
    bool fits = true;
    const auto put = [&](char c) {
      if (out == nullptr) return;
      if (n + 1 < cap) {
        out[n++] = c;
      } else {
        fits = false;
      }
    };
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        if (out != nullptr) out[n < cap ? n : cap - 1] = '\0';
        return fits ? static_cast<int>(n) : -2;
      }
      if (static_cast<unsigned char>(c) < 0x20) return -1;
      if (c != '\\') {
        put(c);
        continue;
      }
      if (pos_ >= text_.size()) return -1;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          put('"');
          break;
        case '\\':
          put('\\');
          break;
        case '/':
          put('/');
          break;
        case 'b':
          put('\b');
          break;
        case 'f':
          put('\f');
          break;
        case 'n':
          put('\n');
          break;
        case 'r':
          put('\r');
          break;
        case 't':
          put('\t');
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return -1;
          if (cp >= 0xD800 && cp < 0xDC00) {
            std::uint32_t low = 0;
            if (!eat('\\') || !eat('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return -1;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          utf8(cp, put);
          break;
        }
        default:
          return -1;
      }
    }
    return -1;
  }

  bool uint(std::uint32_t& value) {
    std::uint64_t v = 0;
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(text_[pos_++] - '0');
      if (v > 0xFFFFFFFFu) return false;
    }
    if (pos_ == start) return false;
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E'))
      return false;
    value = static_cast<std::uint32_t>(v);
    return true;
  }

 private:
  bool eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool hex4(std::uint32_t& value) {
    if (pos_ + 4 > text_.size()) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  template <typename Put>
  static void utf8(std::uint32_t cp, Put& put) {
    if (cp < 0x80) {
      put(static_cast<char>(cp));
    } else if (cp < 0x800) {
      put(static_cast<char>(0xC0 | cp >> 6));
      put(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      put(static_cast<char>(0xE0 | cp >> 12));
      put(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      put(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      put(static_cast<char>(0xF0 | cp >> 18));
      put(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      put(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      put(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool skip_value(int depth) {
    if (depth > 16 || pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '"') return string(nullptr, 0) != -1;
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++pos_;
      skip_space();
      if (eat(close)) return true;
      for (;;) {
        if (c == '{') {
          if (string(nullptr, 0) == -1) return false;
          skip_space();
          if (!eat(':')) return false;
          skip_space();
        }
        if (!skip_value(depth + 1)) return false;
        skip_space();
        if (eat(close)) return true;
        if (!eat(',')) return false;
        skip_space();
      }
    }
    // A number or a literal: up to the next delimiter.
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' &&
           text_[pos_] != ' ' && text_[pos_] != '\n' && text_[pos_] != '\r' && text_[pos_] != '\t')
      ++pos_;
    return pos_ > start;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

int json_string(std::string_view json, std::string_view key, char* out, std::size_t cap) {
  if (cap == 0) return -1;
  Scanner scanner(json);
  if (scanner.find(key) == kNotFound) return -1;
  const int length = scanner.string(out, cap);
  if (length < 0) {
    out[0] = '\0';
    return -1;
  }
  return length;
}

bool json_uint(std::string_view json, std::string_view key, std::uint32_t& value) {
  Scanner scanner(json);
  if (scanner.find(key) == kNotFound) return false;
  return scanner.uint(value);
}

}  // namespace iot_device::detail
