#pragma once
// `iot-cert verify`: what `openssl verify -CAfile ca.crt -purpose … -crl_check` decides, with the
// CA's own index standing in for the CRL (so a revocation counts at once, before a new CRL is
// signed and distributed).

#include <string>

#include "core/error.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"

namespace iotfleet::pki {

/// automatic: sslclient for device certificates, sslserver for server certificates, none else.
enum class Purpose { automatic, client, server, none };
core::Result<Purpose> parse_purpose(const std::string& text);

struct Verdict {
  CertInfo info;
  std::string purpose;  // "sslclient", "sslserver" or "none"
  bool valid = false;
  std::string reason;  // OpenSSL's words when invalid ("certificate has expired", ...)
};

/// Checks the chain to the CA, the validity period at `now`, the purpose and the index's
/// revocations. An invalid certificate is a Verdict with valid == false, not an error.
Verdict verify(const Certificate& cert, const Authority& ca, Purpose purpose, TimePoint now);

}  // namespace iotfleet::pki
