#pragma once
// Internal to lib/pki: owning pointers for OpenSSL objects and the text of OpenSSL's error queue.
// Not part of the public interface.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace iotfleet::pki::detail {

struct Free {
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  // ASN1_INTEGER, ASN1_TIME and ASN1_ENUMERATED are all ASN1_STRING.
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(X509_REVOKED* p) const { X509_REVOKED_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(EXTENDED_KEY_USAGE* p) const { EXTENDED_KEY_USAGE_free(p); }
  void operator()(BASIC_CONSTRAINTS* p) const { BASIC_CONSTRAINTS_free(p); }
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

/// The reasons on OpenSSL's error queue ("; "-separated, innermost last), clearing it.
std::string openssl_error();

/// A read-only memory BIO over text (which must outlive the BIO).
Ptr<BIO> read_bio(std::string_view text);
Ptr<BIO> write_bio();
std::string bio_text(BIO* bio);

}  // namespace iotfleet::pki::detail
