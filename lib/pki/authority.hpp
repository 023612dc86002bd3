#pragma once
// The device CA as a directory (DESIGN.md: iot-cert):
//   ca.crt       the CA certificate (0644)
//   ca.key       its key, PKCS#8 encrypted with AES-256-CBC under the CA passphrase (0600)
//   index.jsonl  every certificate the CA issued and revoked (see pki/index.hpp), 0644
//   crlnumber    the number of the last CRL signed (decimal), 0644
// unless the index lives in PostgreSQL (IOT_CA_INDEX=database, store/certificates.hpp).
// The passphrase comes from IOT_CA_PASSPHRASE (or IOT_CA_PASSPHRASE_FILE, or --passphrase-file),
// never from a flag value. Reading (list, verify, revoke) needs no passphrase; issuing and
// signing a CRL do.

#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "pki/certificate.hpp"
#include "pki/index.hpp"
#include "pki/key.hpp"

namespace iotfleet::pki {

/// --ca DIR or IOT_CA_DIR: the CA directory.
inline constexpr core::Setting kCaDir{"--ca", "IOT_CA_DIR", ""};
inline constexpr core::Setting kCaPassphrase{"", "IOT_CA_PASSPHRASE", ""};
/// Where the CA's index lives: "file" (index.jsonl beside ca.crt) or "database".
inline constexpr core::Setting kCaIndex{"--ca-index", "IOT_CA_INDEX", "file"};

/// The CA passphrase: the contents of passphrase_file when given (one trailing newline removed),
/// else IOT_CA_PASSPHRASE / IOT_CA_PASSPHRASE_FILE. Missing is a usage error naming both.
core::Result<std::string> load_passphrase(const core::Config& config,
                                          const std::optional<std::string>& passphrase_file);

/// "30d", "12h", "2w", "90m" or a bare number of days; a usage error otherwise.
core::Result<std::chrono::seconds> parse_period(const std::string& text);

/// The revocation reasons a CRL can carry (RFC 5280 §5.3.1), as OpenSSL names them.
const std::vector<std::string>& revocation_reasons();

struct InitOptions {
  std::string common_name = "IoT Device CA";
  KeyType key_type = KeyType::ec_p256;
  int days = 3650;
};

struct Issued {
  Certificate certificate;
  PrivateKey key;
  CertInfo info;
};

class Authority {
 public:
  /// Creates a CA in dir (made if missing). A conflict when dir already holds ca.crt or ca.key.
  static core::Result<Authority> init(const std::string& dir, const InitOptions& options,
                                      const std::string& passphrase, TimePoint now);
  /// Takes over an existing CA (such as OS2IoT's): its certificate and key, the key decrypted
  /// with source_passphrase (when encrypted) and stored re-encrypted under passphrase. Fails when
  /// the certificate is not a CA or the key is not its key; a conflict as for init().
  static core::Result<Authority> import(const std::string& dir, const std::string& cert_path,
                                        const std::string& key_path,
                                        const std::optional<std::string>& source_passphrase,
                                        const std::string& passphrase);
  /// Opens the CA in dir for reading; not found when there is none. Its index is the files in
  /// dir unless one is given.
  static core::Result<Authority> open(const std::string& dir,
                                      std::shared_ptr<CertificateIndex> index = nullptr);

  /// The same CA recording into another index (say, one bound to the caller's transaction).
  Authority with_index(std::shared_ptr<CertificateIndex> index) const;
  CertificateIndex& index() const { return *index_; }

  /// Decrypts the CA key (needed by issue() and crl_pem()).
  core::Status unlock(const std::string& passphrase);

  /// Issues a certificate for a new key of key_type, valid from one minute before now for
  /// `days`, and records it in the index.
  core::Result<Issued> issue_server(const std::string& common_name,
                                    const std::vector<std::string>& sans, int days,
                                    KeyType key_type, TimePoint now);
  core::Result<Issued> issue_device(const std::string& device_key, int days, KeyType key_type,
                                    TimePoint now);
  /// Any request (tests use it for certificates already expired).
  core::Result<Issued> issue(const CertRequest& request, KeyType key_type, TimePoint now);

  /// Records in the index a certificate this CA signed elsewhere (before `import-ca` took it
  /// over), so that list, revoke and the CRL know it. Fails when this CA did not sign it; a
  /// conflict when its serial is already in the index.
  core::Result<IndexEntry> adopt(const Certificate& cert);

  core::Result<std::vector<IndexEntry>> entries() const;
  /// Revokes the certificate with this serial, or else every unrevoked certificate issued to
  /// this device key. Not found when nothing matches; a conflict when all matches are already
  /// revoked. Returns the entries revoked now.
  core::Result<std::vector<IndexEntry>> revoke(const std::string& serial_or_key,
                                               const std::string& reason, TimePoint now);
  /// A CRL (v2, with crlNumber and authorityKeyIdentifier) listing every revoked certificate,
  /// next update `days` after now. Bumps crlnumber.
  core::Result<std::string> crl_pem(int days, TimePoint now);

  const Certificate& certificate() const { return cert_; }
  const std::string& dir() const { return dir_; }
  std::string cert_path() const { return dir_ + "/ca.crt"; }
  std::string key_path() const { return dir_ + "/ca.key"; }

 private:
  Authority(std::string dir, Certificate cert, std::shared_ptr<CertificateIndex> index)
      : dir_(std::move(dir)), cert_(std::move(cert)), index_(std::move(index)) {}
  static core::Result<Authority> store(const std::string& dir, const Certificate& cert,
                                       const PrivateKey& key, const std::string& passphrase);

  std::string dir_;
  Certificate cert_;
  std::optional<PrivateKey> key_;
  std::shared_ptr<CertificateIndex> index_;
};

struct SavedFiles {
  std::string key;
  std::string certificate;
  std::string ca;
};

/// Writes <out_dir>/<name>.key (0600), <name>.crt (0644) and ca.crt (0644), making out_dir if
/// needed. A conflict, writing nothing, when the key or certificate exists, or when ca.crt exists
/// and is another CA's.
core::Result<SavedFiles> save_issued(const std::string& out_dir, const std::string& name,
                                     const Issued& issued, const Certificate& ca);
/// The conflicts save_issued() would meet, checked before issuing so that a refusal leaves no
/// certificate in the index.
core::Status check_can_save(const std::string& out_dir, const std::string& name,
                            const Certificate& ca);

/// Parses "2026-12-05T08:00:00Z".
std::optional<TimePoint> parse_iso_utc(const std::string& text);

}  // namespace iotfleet::pki
