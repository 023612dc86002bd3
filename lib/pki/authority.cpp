#include "pki/authority.hpp"

#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "core/clock.hpp"
#include "core/device_key.hpp"
#include "core/files.hpp"

namespace iotfleet::pki {

using core::Error;
namespace fs = std::filesystem;

namespace {

constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;
constexpr auto kPublic = kPrivate | fs::perms::group_read | fs::perms::others_read;
constexpr std::size_t kMaxPem = 1 << 20;

// Valid from a minute ago, so a device whose clock is a little behind accepts it at once.
constexpr auto kBackdate = std::chrono::minutes(1);

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

core::Status make_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::failure(dir + ": cannot create the directory: " + ec.message());
  return core::ok_status();
}

core::Status refuse_existing_ca(const std::string& dir) {
  for (const char* name : {"/ca.crt", "/ca.key"})
    if (exists(dir + name))
      return Error::conflict(dir + " already holds a CA (" + dir + name + " exists)",
                             "refusing to overwrite it; choose another --out directory");
  return core::ok_status();
}

std::string trim_newline(std::string s) {
  if (s.ends_with("\n")) s.pop_back();
  if (s.ends_with("\r")) s.pop_back();
  return s;
}

}  // namespace

std::optional<TimePoint> parse_iso_utc(const std::string& text) {
  std::tm tm{};
  char z = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z')
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

core::Result<std::string> load_passphrase(const core::Config& config,
                                          const std::optional<std::string>& passphrase_file) {
  if (passphrase_file) {
    auto text = core::read_file(*passphrase_file, 4096);
    if (!text) return Error::usage("--passphrase-file: " + text.error().message);
    auto p = trim_newline(std::move(*text));
    if (p.empty()) return Error::usage("--passphrase-file " + *passphrase_file + " is empty");
    return p;
  }
  auto value = config.get(kCaPassphrase);
  if (!value)
    return Error::usage(
        "missing the CA passphrase: set IOT_CA_PASSPHRASE (or IOT_CA_PASSPHRASE_FILE) "
        "or give --passphrase-file");
  return trim_newline(std::move(*value));
}

core::Result<std::chrono::seconds> parse_period(const std::string& text) {
  std::size_t used = 0;
  long long n = -1;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = n >= 0 ? text.substr(used) : "";
  using std::chrono::seconds;
  if (n >= 0 && n < 100000) {
    if (unit.empty() || unit == "d") return seconds(n * 86400);
    if (unit == "h") return seconds(n * 3600);
    if (unit == "m") return seconds(n * 60);
    if (unit == "w") return seconds(n * 7 * 86400);
  }
  return Error::usage("'" + text + "' is not a period: give e.g. 30d, 12h, 2w or 90m");
}

const std::vector<std::string>& revocation_reasons() {
  static const std::vector<std::string> reasons = {
      "unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation"};
  return reasons;
}

core::Result<Authority> Authority::store(const std::string& dir, const Certificate& cert,
                                         const PrivateKey& key, const std::string& passphrase) {
  auto encrypted = key.to_encrypted_pem(passphrase);
  if (!encrypted) return encrypted.error();
  if (auto s = make_dir(dir); !s) return s.error();
  if (auto s = refuse_existing_ca(dir); !s) return s.error();
  // The key first: a crash in between leaves a directory init refuses, never a certificate
  // whose key is lost.
  if (auto s = core::write_file(dir + "/ca.key", *encrypted, kPrivate); !s) return s.error();
  if (auto s = core::write_file(dir + "/ca.crt", cert.to_pem(), kPublic); !s) return s.error();
  Authority ca(dir, cert, file_index(dir));
  ca.key_ = key;
  return ca;
}

core::Result<Authority> Authority::init(const std::string& dir, const InitOptions& options,
                                        const std::string& passphrase, TimePoint now) {
  if (auto s = refuse_existing_ca(dir); !s) return s.error();
  if (options.days < 1 || options.days > 36500)
    return Error::usage("--days must be between 1 and 36500");
  if (passphrase.size() < kMinPassphraseLength)
    return Error::usage("the CA passphrase must have at least " +
                        std::to_string(kMinPassphraseLength) + " characters");
  auto key = PrivateKey::generate(options.key_type);
  if (!key) return key.error();
  CertRequest request{CertKind::ca,
                      options.common_name,
                      {},
                      now - kBackdate,
                      now + std::chrono::days(options.days)};
  auto cert = sign(request, *key, nullptr, *key);
  if (!cert) return cert.error();
  return store(dir, *cert, *key, passphrase);
}

core::Result<Authority> Authority::import(const std::string& dir, const std::string& cert_path,
                                          const std::string& key_path,
                                          const std::optional<std::string>& source_passphrase,
                                          const std::string& passphrase) {
  if (auto s = refuse_existing_ca(dir); !s) return s.error();
  auto cert_pem = core::read_file(cert_path, kMaxPem);
  if (!cert_pem) return cert_pem.error();
  auto cert = Certificate::from_pem(*cert_pem, cert_path);
  if (!cert) return cert.error();
  if (describe(*cert).kind != CertKind::ca)
    return Error::failure(cert_path + " is not a CA certificate (no basicConstraints CA:TRUE)");
  if ((X509_get_key_usage(cert->get()) & KU_KEY_CERT_SIGN) == 0)
    return Error::failure(cert_path + ": its keyUsage does not allow signing certificates");
  auto key_pem = core::read_file(key_path, kMaxPem);
  if (!key_pem) return key_pem.error();
  auto key = PrivateKey::from_pem(*key_pem, source_passphrase, key_path);
  if (!key) return key.error();
  if (!matches_key(*cert, *key))
    return Error::failure(key_path + " is not the key of " + cert_path);
  return store(dir, *cert, *key, passphrase);
}

core::Result<Authority> Authority::open(const std::string& dir,
                                        std::shared_ptr<CertificateIndex> index) {
  if (!exists(dir + "/ca.crt"))
    return Error::not_found("no CA in " + dir + " (" + dir + "/ca.crt does not exist)",
                            "create one with 'iot-cert ca init --out " + dir + "'");
  auto pem = core::read_file(dir + "/ca.crt", kMaxPem);
  if (!pem) return pem.error();
  auto cert = Certificate::from_pem(*pem, dir + "/ca.crt");
  if (!cert) return cert.error();
  return Authority(dir, *cert, index ? std::move(index) : file_index(dir));
}

Authority Authority::with_index(std::shared_ptr<CertificateIndex> index) const {
  Authority copy = *this;
  copy.index_ = std::move(index);
  return copy;
}

core::Status Authority::unlock(const std::string& passphrase) {
  if (key_) return core::ok_status();
  auto pem = core::read_file(key_path(), kMaxPem);
  if (!pem) return pem.error();
  auto key = PrivateKey::from_pem(*pem, passphrase, key_path());
  if (!key) return key.error();
  if (!matches_key(cert_, *key))
    return Error::failure(key_path() + " is not the key of " + cert_path());
  key_ = *key;
  return core::ok_status();
}

core::Result<IndexEntry> Authority::adopt(const Certificate& cert) {
  const auto info = describe(cert);
  if (X509_check_issued(cert_.get(), cert.get()) != X509_V_OK ||
      X509_verify(cert.get(), X509_get0_pubkey(cert_.get())) != 1)
    return Error::failure("certificate " + info.serial + " ('" + info.common_name +
                          "') was not signed by this CA");
  auto known = entries();
  if (!known) return known.error();
  for (const auto& e : *known)
    if (e.serial == info.serial)
      return Error::conflict("certificate " + info.serial + " is already in the index");
  IndexEntry entry;
  entry.serial = info.serial;
  entry.kind = info.kind;
  entry.common_name = info.common_name;
  if (info.kind == CertKind::device) entry.device_key = info.common_name;
  entry.not_before = core::format_iso_utc(info.not_before);
  entry.not_after = core::format_iso_utc(info.not_after);
  entry.sha256 = info.sha256;
  entry.issued_at = entry.not_before;  // issued elsewhere: its own date, not the adoption's
  if (auto s = index_->record_issued(entry); !s) return s.error();
  return entry;
}

core::Result<Issued> Authority::issue(const CertRequest& request, KeyType key_type, TimePoint now) {
  if (!key_) return Error::failure("the CA key is locked (internal: unlock() first)");
  auto key = PrivateKey::generate(key_type);
  if (!key) return key.error();
  auto cert = sign(request, *key, &cert_, *key_);
  if (!cert) return cert.error();
  Issued issued{*cert, *key, describe(*cert)};
  IndexEntry entry;
  entry.serial = issued.info.serial;
  entry.kind = request.kind;
  entry.common_name = request.common_name;
  if (request.kind == CertKind::device) entry.device_key = request.common_name;
  entry.not_before = core::format_iso_utc(issued.info.not_before);
  entry.not_after = core::format_iso_utc(issued.info.not_after);
  entry.sha256 = issued.info.sha256;
  entry.issued_at = core::format_iso_utc(now);
  if (auto s = index_->record_issued(entry); !s) return s.error();
  return issued;
}

core::Result<Issued> Authority::issue_server(const std::string& common_name,
                                             const std::vector<std::string>& sans, int days,
                                             KeyType key_type, TimePoint now) {
  if (days < 1 || days > 3650) return Error::usage("--days must be between 1 and 3650");
  auto parsed = parse_sans(sans);
  if (!parsed) return parsed.error();
  // Clients check the host name against the SANs only: without any, the CN is the one name.
  if (parsed->empty()) {
    const bool looks_like_ip = common_name.find_first_not_of("0123456789.") == std::string::npos ||
                               common_name.find(':') != std::string::npos;
    auto own = parse_sans({(looks_like_ip ? "IP:" : "DNS:") + common_name});
    if (!own) return Error::usage("--cn '" + common_name + "' is not a host name: give --san");
    parsed = std::move(own);
  }
  CertRequest request{CertKind::server, common_name, *parsed, now - kBackdate,
                      now + std::chrono::days(days)};
  return issue(request, key_type, now);
}

core::Result<Issued> Authority::issue_device(const std::string& device_key, int days,
                                             KeyType key_type, TimePoint now) {
  if (!core::is_valid_device_key(device_key))
    return Error::usage("'" + device_key + "' is not a device key (8 characters a-z, 0-9)");
  if (days < 1 || days > 3650) return Error::usage("--days must be between 1 and 3650");
  CertRequest request{
      CertKind::device, device_key, {}, now - kBackdate, now + std::chrono::days(days)};
  return issue(request, key_type, now);
}

core::Result<std::vector<IndexEntry>> Authority::entries() const {
  return index_->entries();
}

core::Result<std::vector<IndexEntry>> Authority::revoke(const std::string& serial_or_key,
                                                        const std::string& reason, TimePoint now) {
  const auto& reasons = revocation_reasons();
  if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end())
    return Error::usage("unknown revocation reason '" + reason + "'");
  auto all = entries();
  if (!all) return all.error();
  std::vector<IndexEntry> matches;
  const auto serial = normalize_serial(serial_or_key);
  for (const auto& e : *all)
    if (serial && e.serial == *serial) matches.push_back(e);
  if (matches.empty())
    for (const auto& e : *all)
      if (e.device_key == serial_or_key) matches.push_back(e);
  if (matches.empty())
    return Error::not_found(
        "no certificate with serial or device key '" + serial_or_key + "' in " + index_->where(),
        "see 'iot-cert list --ca " + dir_ + "'");
  std::vector<IndexEntry> revoked;
  const std::string at = core::format_iso_utc(now);
  for (auto& e : matches) {
    if (e.revoked()) continue;
    if (auto s = index_->record_revoked(e.serial, reason, at); !s) return s.error();
    e.revoked_at = at;
    e.revocation_reason = reason;
    revoked.push_back(e);
  }
  if (revoked.empty())
    return Error::conflict("every certificate matching '" + serial_or_key + "' is already revoked");
  return revoked;
}

core::Status check_can_save(const std::string& out_dir, const std::string& name,
                            const Certificate& ca) {
  for (const auto& path : {out_dir + "/" + name + ".key", out_dir + "/" + name + ".crt"})
    if (exists(path))
      return Error::conflict(path + " already exists",
                             "refusing to overwrite it; remove it or choose another --out "
                             "directory");
  const std::string ca_path = out_dir + "/ca.crt";
  if (exists(ca_path)) {
    auto current = core::read_file(ca_path, kMaxPem);
    if (!current || *current != ca.to_pem())
      return Error::conflict(ca_path + " exists and is not this CA's certificate",
                             "choose another --out directory");
  }
  return core::ok_status();
}

core::Result<SavedFiles> save_issued(const std::string& out_dir, const std::string& name,
                                     const Issued& issued, const Certificate& ca) {
  SavedFiles files{out_dir + "/" + name + ".key", out_dir + "/" + name + ".crt",
                   out_dir + "/ca.crt"};
  if (auto s = check_can_save(out_dir, name, ca); !s) return s.error();
  const bool write_ca = !exists(files.ca);
  if (auto s = make_dir(out_dir); !s) return s.error();
  if (auto s = core::write_file(files.key, issued.key.to_pem(), kPrivate); !s) return s.error();
  if (auto s = core::write_file(files.certificate, issued.certificate.to_pem(), kPublic); !s)
    return s.error();
  if (write_ca)
    if (auto s = core::write_file(files.ca, ca.to_pem(), kPublic); !s) return s.error();
  return files;
}

}  // namespace iotfleet::pki
