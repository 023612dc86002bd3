#include "pki/openssl.hpp"

#include <openssl/err.h>

namespace iotfleet::pki::detail {

std::string openssl_error() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    if (!out.empty()) out += "; ";
    out += reason ? reason : "error " + std::to_string(ERR_GET_REASON(code));
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Ptr<BIO> read_bio(std::string_view text) {
  return Ptr<BIO>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

Ptr<BIO> write_bio() { return Ptr<BIO>(BIO_new(BIO_s_mem())); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace iotfleet::pki::detail
