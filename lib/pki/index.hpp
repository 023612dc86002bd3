#pragma once
// The CA's index of issued certificates. Two places can hold it (CertificateIndex): files in the
// CA directory (below), or PostgreSQL (store/certificates.hpp), which is where it must live once
// more than one process issues or revokes, as iot-rotate and iot-serve do for certificate
// rotation in Kubernetes, where the CA directory is a read-only Secret.
//
// The file index is `index.jsonl` in the CA directory, one JSON object per line, appended under
// an exclusive lock (flock) and fsynced, never rewritten:
//   {"event":"issued","serial":"9f…","kind":"device","cn":"k3x9a2b1","device_key":"k3x9a2b1",
//    "not_before":"2026-…Z","not_after":"2027-…Z","sha256":"…","at":"2026-…Z"}
//   {"event":"revoked","serial":"9f…","reason":"keyCompromise","at":"2026-…Z"}
// Reading folds the events into one entry per serial. An append-only log keeps issuing 10,000
// certificates linear and leaves a history an operator can read with jq; a line that does not
// parse (say a torn last line after a crash) is reported with its line number.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pki/certificate.hpp"

namespace iotfleet::pki {

struct IndexEntry {
  std::string serial;
  CertKind kind = CertKind::other;
  std::string common_name;
  std::optional<std::string> device_key;
  std::string not_before;  // ISO 8601 UTC
  std::string not_after;
  std::string sha256;
  std::string issued_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> revocation_reason;

  bool revoked() const { return revoked_at.has_value(); }
};

class CertificateIndex {
 public:
  virtual ~CertificateIndex() = default;
  /// Every certificate in the order it was issued, revocations folded in.
  virtual core::Result<std::vector<IndexEntry>> entries() = 0;
  virtual core::Status record_issued(const IndexEntry& entry) = 0;
  virtual core::Status record_revoked(const std::string& serial, const std::string& reason,
                                      const std::string& at) = 0;
  /// Reserves the next CRL number: increasing, never handed out twice (gaps are allowed).
  virtual core::Result<std::int64_t> next_crl_number() = 0;
  /// Where the index lives, for messages ("/ca/index.jsonl", "the database").
  virtual std::string where() const = 0;
};

/// The index as files in ca_dir: index.jsonl and crlnumber (under crlnumber.lock).
std::shared_ptr<CertificateIndex> file_index(const std::string& ca_dir);

/// The entries of an index file in the order they were issued; a missing file is an empty index.
core::Result<std::vector<IndexEntry>> read_index(const std::string& path);

/// Appends the issue of a certificate.
core::Status append_issued(const std::string& path, const IndexEntry& entry);
/// Appends the revocation of a serial.
core::Status append_revoked(const std::string& path, const std::string& serial,
                            const std::string& reason, const std::string& at);

}  // namespace iotfleet::pki
