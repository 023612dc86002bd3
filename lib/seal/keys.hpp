#pragma once
// The keys of sealing: the controller's certificate (what kubeseal --cert reads, from a file or
// a URL such as the controller's /v1/cert.pem) and, for offline recovery, its private keys.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "seal/hybrid.hpp"

namespace iotfleet::idp {
class HttpClient;
}

namespace iotfleet::seal {

struct SealingCertificate {
  RsaKey key;           // the RSA public key
  std::string source;   // file or URL, for messages
  std::string subject;  // e.g. "CN=sealed-secret" (may be empty: the controller's default)
  std::chrono::system_clock::time_point not_after;
};

/// Parses the first certificate of a PEM text. Refuses, like kubeseal, a certificate whose key is
/// not RSA and one that has expired (checked against clock). Does not check the self-signature
/// or "not before": the controller's own certificates have key usage encipherOnly.
core::Result<SealingCertificate> parse_certificate(std::string_view pem, const std::string& source,
                                                   const core::Clock& clock = core::system_clock());

/// True for http://, https:// and file:// URLs; anything else is a file path.
bool is_url(std::string_view file_or_url);

/// Reads a certificate from a PEM file, or GETs it from a URL (file:// read locally) through
/// http. A transport failure is ErrorKind::unavailable; a non-200 answer a failure naming it.
core::Result<std::string> read_certificate_text(const std::string& file_or_url,
                                                idp::HttpClient& http);

/// read_certificate_text + parse_certificate.
core::Result<SealingCertificate> load_certificate(const std::string& file_or_url,
                                                  idp::HttpClient& http,
                                                  const core::Clock& clock = core::system_clock());

/// The controller's certificate URL: controller_url + "/v1/cert.pem" (kept as is when it already
/// ends with it).
std::string controller_cert_url(std::string_view controller_url);

/// Private keys for recovery: PEM (PKCS#1 "RSA PRIVATE KEY" as the controller stores tls.key, or
/// PKCS#8), several per file allowed; or a Kubernetes Secret (or List of them) in YAML/JSON whose
/// data["tls.key"] holds the PEM, as 'kubectl get secret -o yaml' prints the controller's keys.
core::Result<std::vector<RsaKey>> parse_private_keys(std::string_view text,
                                                     const std::string& source);
core::Result<std::vector<RsaKey>> load_private_keys(const std::vector<std::string>& paths);

}  // namespace iotfleet::seal
