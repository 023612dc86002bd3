#pragma once
// Range requests for firmware downloads (RFC 9110 §14), so an interrupted OTA resumes. One range
// only: a multi-range request is answered with the whole image (a server may ignore Range), as is
// a header that does not parse. If-Range with another ETag also gets the whole image.

#include <cstdint>
#include <string_view>

namespace iotfleet::http {

struct ByteRange {
  enum class Kind { whole, partial, unsatisfiable } kind = Kind::whole;
  std::uint64_t first = 0;  // partial: first byte
  std::uint64_t last = 0;   // partial: last byte (inclusive)
  std::uint64_t length() const { return last - first + 1; }
};

/// The answer to `range` (the header's value, "" when absent) for a body of `size` bytes.
ByteRange parse_range(std::string_view range, std::uint64_t size);

/// Applies If-Range: a Range is honoured only when If-Range is absent or equals the ETag.
inline bool if_range_allows(std::string_view if_range, std::string_view etag) {
  return if_range.empty() || if_range == etag;
}

}  // namespace iotfleet::http
