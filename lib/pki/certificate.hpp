#pragma once
// X.509 certificates of the three kinds the fleet uses, each with the extensions its role needs
// (RFC 5280; the CA/Browser Forum's profile where it applies):
//   ca      basicConstraints critical CA:TRUE, pathlen:0; keyUsage critical keyCertSign, cRLSign
//   server  basicConstraints critical CA:FALSE; keyUsage critical digitalSignature (and
//           keyEncipherment for RSA); extendedKeyUsage serverAuth; subjectAltName DNS/IP
//   device  as server, but extendedKeyUsage clientAuth and CN = the device key, which Mosquitto
//           takes as the user name (use_identity_as_username)
// All carry a subjectKeyIdentifier, and those signed by the CA its authorityKeyIdentifier.
// Serials are 128 random bits (positive, non-zero), signatures ECDSA or RSA with SHA-256.

#include <openssl/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "pki/key.hpp"

namespace iotfleet::pki {

using TimePoint = std::chrono::system_clock::time_point;

enum class CertKind { ca, server, device, other };
std::string_view kind_name(CertKind kind);
/// The inverse of kind_name(); anything else is `other`.
CertKind kind_from_name(std::string_view name);

class Certificate {
 public:
  /// Reads the first certificate of a PEM text; `what` names it in messages (a path).
  static core::Result<Certificate> from_pem(std::string_view pem, const std::string& what);
  std::string to_pem() const;
  X509* get() const { return cert_.get(); }

  /// Adopts a certificate (takes ownership).
  explicit Certificate(X509* cert);

 private:
  std::shared_ptr<X509> cert_;
};

/// What a certificate says, for people and scripts.
struct CertInfo {
  CertKind kind = CertKind::other;  // from basicConstraints and extendedKeyUsage
  std::string subject;              // RFC 2253, e.g. "CN=k3x9a2b1"
  std::string common_name;
  std::string issuer;
  std::string serial;  // lower-case hex without leading zeros (as `openssl x509 -serial`, lower)
  TimePoint not_before;
  TimePoint not_after;
  std::vector<std::string> sans;  // "DNS:name", "IP:addr"
  std::string key;                // "EC P-256", "RSA 2048"
  std::string sha256;             // fingerprint of the DER, lower-case hex
};
CertInfo describe(const Certificate& cert);

struct CertRequest {
  CertKind kind = CertKind::device;
  std::string common_name;
  std::vector<std::string> sans;  // "DNS:name" / "IP:addr" (server only)
  TimePoint not_before;
  TimePoint not_after;
};

/// Signs a certificate for subject_key. With issuer == nullptr it is self-signed (a CA) and
/// issuer_key must be subject_key. Fails when the request is inconsistent (empty CN, SANs on a
/// device, a CA signed by another, not_after before not_before).
core::Result<Certificate> sign(const CertRequest& request, const PrivateKey& subject_key,
                               const Certificate* issuer, const PrivateKey& issuer_key,
                               core::RandomSource& rng = core::system_random());

/// Checks and normalizes "DNS:name" and "IP:addr" entries (IPv4 or IPv6); a usage error names
/// the first bad one.
core::Result<std::vector<std::string>> parse_sans(const std::vector<std::string>& sans);

/// A serial as the user typed it ("0A:1b", "0x0a1b", "a1b") in the form of CertInfo::serial,
/// or nullopt when it is not hexadecimal.
std::optional<std::string> normalize_serial(std::string_view text);

/// The serial of an ASN1_INTEGER in CertInfo's form.
std::string serial_hex(const ASN1_INTEGER* serial);

/// Conversions between ASN1_TIME and the system clock.
TimePoint to_time_point(const ASN1_TIME* t);

/// True when the certificate's public key is key's.
bool matches_key(const Certificate& cert, const PrivateKey& key);

}  // namespace iotfleet::pki
