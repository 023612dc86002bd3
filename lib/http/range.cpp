#include "http/range.hpp"

#include <cctype>
#include <charconv>

namespace iotfleet::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool number(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

ByteRange parse_range(std::string_view range, std::uint64_t size) {
  ByteRange whole;
  range = trim(range);
  constexpr std::string_view unit = "bytes=";
  if (range.size() <= unit.size()) return whole;
  for (std::size_t i = 0; i < unit.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(range[i])) != unit[i]) return whole;
  const std::string_view spec = trim(range.substr(unit.size()));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: whole body
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  ByteRange r;
  r.kind = ByteRange::Kind::partial;
  if (a.empty()) {  // "-N": the last N bytes
    std::uint64_t n = 0;
    if (!number(b, n)) return whole;
    if (n == 0 || size == 0) return {ByteRange::Kind::unsatisfiable, 0, 0};
    r.first = n >= size ? 0 : size - n;
    r.last = size - 1;
    return r;
  }
  std::uint64_t first = 0;
  if (!number(a, first)) return whole;
  std::uint64_t last = size ? size - 1 : 0;
  if (!b.empty()) {
    if (!number(b, last)) return whole;
    if (last < first) return whole;  // invalid syntax: ignored (RFC 9110 §14.1.1)
  }
  if (first >= size) return {ByteRange::Kind::unsatisfiable, 0, 0};
  r.first = first;
  r.last = std::min(last, size - 1);
  return r;
}

}  // namespace iotfleet::http
