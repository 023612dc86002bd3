// Authority::crl_pem: the certificate revocation list Mosquitto (crlfile), nginx and
// `openssl verify -crl_check` read. A v2 CRL (RFC 5280 §5) with the CA's authorityKeyIdentifier,
// a crlNumber that grows with every CRL, and a reasonCode per entry unless it is "unspecified"
// (which §5.3.1 says to leave out).
#include <openssl/pem.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/files.hpp"
#include "pki/authority.hpp"
#include "pki/openssl.hpp"

namespace iotfleet::pki {

using core::Error;
using detail::openssl_error;
using detail::Ptr;

namespace {

int reason_code(const std::string& reason) {
  if (reason == "keyCompromise") return CRL_REASON_KEY_COMPROMISE;
  if (reason == "affiliationChanged") return CRL_REASON_AFFILIATION_CHANGED;
  if (reason == "superseded") return CRL_REASON_SUPERSEDED;
  if (reason == "cessationOfOperation") return CRL_REASON_CESSATION_OF_OPERATION;
  return CRL_REASON_UNSPECIFIED;
}

Ptr<ASN1_INTEGER> integer_from_hex(const std::string& hex) {
  BIGNUM* bn = nullptr;
  if (BN_hex2bn(&bn, hex.c_str()) == 0) return nullptr;
  Ptr<BIGNUM> owned(bn);
  return Ptr<ASN1_INTEGER>(BN_to_ASN1_INTEGER(bn, nullptr));
}

Ptr<ASN1_TIME> asn1_time(TimePoint t) {
  return Ptr<ASN1_TIME>(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t)));
}

void check(int ok, const std::string& what) {
  if (ok != 1) throw core::Failure(Error::failure("cannot " + what + ": " + openssl_error()));
}

}  // namespace

core::Result<std::string> Authority::crl_pem(int days, TimePoint now) {
  if (!key_) return Error::failure("the CA key is locked (internal: unlock() first)");
  if (days < 1 || days > 3650) return Error::usage("--days must be between 1 and 3650");
  auto all = entries();
  if (!all) return all.error();
  auto reserved = index_->next_crl_number();
  if (!reserved) return reserved.error();
  const long long number = *reserved;

  return core::capture([&]() -> std::string {
    Ptr<X509_CRL> crl(X509_CRL_new());
    check(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2), "make the CRL");
    check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(cert_.get())),
          "set the issuer");
    check(X509_CRL_set1_lastUpdate(crl.get(), asn1_time(now).get()), "set lastUpdate");
    check(X509_CRL_set1_nextUpdate(crl.get(), asn1_time(now + std::chrono::days(days)).get()),
          "set nextUpdate");
    for (const IndexEntry& e : *all) {
      if (!e.revoked()) continue;
      Ptr<X509_REVOKED> revoked(X509_REVOKED_new());
      auto serial = integer_from_hex(e.serial);
      if (!serial)
        throw core::Failure(Error::failure("bad serial '" + e.serial + "' in the index"));
      check(X509_REVOKED_set_serialNumber(revoked.get(), serial.get()), "add a serial");
      const auto at = parse_iso_utc(*e.revoked_at).value_or(now);
      check(X509_REVOKED_set_revocationDate(revoked.get(), asn1_time(at).get()),
            "set a revocation date");
      const int code = reason_code(e.revocation_reason.value_or("unspecified"));
      if (code != CRL_REASON_UNSPECIFIED) {
        Ptr<ASN1_ENUMERATED> reason(ASN1_ENUMERATED_new());
        ASN1_ENUMERATED_set(reason.get(), code);
        check(X509_REVOKED_add1_ext_i2d(revoked.get(), NID_crl_reason, reason.get(), 0, 0),
              "add a reason code");
      }
      check(X509_CRL_add0_revoked(crl.get(), revoked.release()), "add a revoked certificate");
    }
    X509_CRL_sort(crl.get());
    auto crl_number = integer_from_hex([&] {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%llx", number);
      return std::string(buf);
    }());
    check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, 0),
          "add the CRL number");
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert_.get(), nullptr, nullptr, crl.get(), 0);
    Ptr<X509_EXTENSION> aki(
        X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!aki)
      throw core::Failure(
          Error::failure("cannot make the CRL's authorityKeyIdentifier: " + openssl_error()));
    check(X509_CRL_add_ext(crl.get(), aki.get(), -1), "add the authorityKeyIdentifier");
    if (X509_CRL_sign(crl.get(), key_->get(), EVP_sha256()) <= 0)
      throw core::Failure(Error::failure("cannot sign the CRL: " + openssl_error()));
    auto bio = detail::write_bio();
    check(PEM_write_bio_X509_CRL(bio.get(), crl.get()), "write the CRL");
    return detail::bio_text(bio.get());
  });
}

}  // namespace iotfleet::pki
