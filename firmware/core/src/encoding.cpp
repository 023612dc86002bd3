// Base64, form-urlencoding and hex (see encoding.hpp).

#include "encoding.hpp"

namespace iot_device::detail {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '*';
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

void base64_encode(std::string_view data, TextBuilder& out) {
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i + 1]))
                                << 8 |
                            static_cast<std::uint8_t>(data[i + 2]);
    const char quad[4] = {kBase64[v >> 18 & 63], kBase64[v >> 12 & 63], kBase64[v >> 6 & 63],
                          kBase64[v & 63]};
    out.append(std::string_view(quad, 4));
  }
  const std::size_t rest = data.size() - i;
  if (rest == 0) return;
  std::uint32_t v = static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i])) << 16;
  if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(data[i + 1])) << 8;
  const char quad[4] = {kBase64[v >> 18 & 63], kBase64[v >> 12 & 63],
                        rest == 2 ? kBase64[v >> 6 & 63] : '=', '='};
  out.append(std::string_view(quad, 4));
}

void form_encode(std::string_view value, TextBuilder& out) {
  for (const char c : value) {
    if (unreserved(c)) {
      out.append(c);
    } else if (c == ' ') {
      out.append('+');
    } else {
      const auto b = static_cast<std::uint8_t>(c);
      const char escaped[3] = {'%', kHexUpper[b >> 4], kHexUpper[b & 15]};
      out.append(std::string_view(escaped, 3));
    }
  }
}

void hex_encode(const std::uint8_t* data, std::size_t n, TextBuilder& out) {
  for (std::size_t i = 0; i < n; ++i) {
    const char pair[2] = {kHex[data[i] >> 4], kHex[data[i] & 15]};
    out.append(std::string_view(pair, 2));
  }
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace iot_device::detail
