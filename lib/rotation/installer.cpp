#include "rotation/installer.hpp"

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/encoding.hpp"
#include "fleet/device_ca.hpp"
#include "pki/authority.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"

namespace iotfleet::rotation {
namespace {

// Retired certificates are "superseded" (RFC 5280 §5.3.1): replaced, not compromised.
constexpr const char* kRetiredReason = "superseded";

pki::CertInfo certificate_info(const std::string& pem, const std::string& what) {
  auto cert = pki::Certificate::from_pem(pem, what);
  if (!cert) throw core::Failure(cert.error());
  return pki::describe(*cert);
}

// Revokes the certificate in the CA's database index, recording it first when the index never
// saw it (issued while the index was still files). `ca_hint` is the CA to file it under then.
void revoke_in_index(pqxx::work& tx, const std::string& pem, const std::optional<std::string>& ca_hint,
                     CredentialInstaller::TimePoint now) {
  const auto info = certificate_info(pem, "a rotated certificate");
  auto ca = store::ca_of_certificate(tx, info.serial);
  if (!ca && !ca_hint) return;  // no index knows this CA: iot-serve's serial check still refuses it
  store::CertificateRecords records(tx, ca ? *ca : *ca_hint);
  if (!ca) {
    pki::IndexEntry entry;
    entry.serial = info.serial;
    entry.kind = info.kind;
    entry.common_name = info.common_name;
    if (info.kind == pki::CertKind::device) entry.device_key = info.common_name;
    entry.not_before = core::format_iso_utc(info.not_before);
    entry.not_after = core::format_iso_utc(info.not_after);
    entry.sha256 = info.sha256;
    entry.issued_at = entry.not_before;
    core::check(records.record_issued(entry));
  }
  // Already revoked (an operator was quicker) is what we want: not an error.
  (void)records.record_revoked(info.serial, kRetiredReason, core::format_iso_utc(now));
}

struct CertificateColumns {
  std::optional<std::string> certificate, serial, previous, previous_serial;
};

CertificateColumns certificate_columns(pqxx::work& tx, const std::string& key) {
  const auto r = tx.exec_params1(
      "SELECT certificate, certificate_serial, previous_certificate, previous_certificate_serial "
      "FROM devices WHERE key = $1",
      key);
  return {store::opt_text(r[0]), store::opt_text(r[1]), store::opt_text(r[2]), store::opt_text(r[3])};
}

}  // namespace

std::string to_credential(const CertificateCredential& c) {
  return nlohmann::json{{"key", c.key}, {"certificate", c.certificate}}.dump();
}

std::optional<CertificateCredential> parse_certificate_credential(const std::string& credential) {
  const auto j = nlohmann::json::parse(credential, nullptr, false);
  if (!j.is_object() || !j.contains("key") || !j.contains("certificate") || !j["key"].is_string() ||
      !j["certificate"].is_string())
    return std::nullopt;
  return CertificateCredential{j["key"], j["certificate"]};
}

bool IdentityInstaller::rotates(const std::string& identity_kind) const {
  return identity_kind == "local" || identity_kind == "keycloak" ||
         (identity_kind == "cert" && ca_ != nullptr);
}

core::Result<std::string> IdentityInstaller::generate(pqxx::work& tx, const DeviceIdentity& device,
                                                      TimePoint now) {
  if (device.identity_kind != "cert") return idp::generate_secret();
  if (!ca_)
    return core::Error::usage("rotating a certificate needs the device CA",
                              "set IOT_CA_DIR, IOT_CA_PASSPHRASE and IOT_CA_INDEX=database");
  // Recorded in the index inside tx: a start that rolls back leaves no stray certificate.
  auto issued = fleet::ca_in_transaction(*ca_, tx)
                    .issue_device(device.key, cert_days_, pki::KeyType::ec_p256, now);
  if (!issued) return issued.error();
  return to_credential({issued->key.to_pem(), issued->certificate.to_pem()});
}

core::Status IdentityInstaller::install(pqxx::work& tx, const DeviceIdentity& device,
                                        const std::string& credential) {
  if (device.identity_kind != "cert") return install_secret(tx, device, credential);
  const auto cert = parse_certificate_credential(credential);
  if (!cert) return core::Error::failure("device " + device.key + ": the pending credential is not a certificate");
  const auto info = certificate_info(cert->certificate, "the pending certificate");
  // The certificate in use becomes the previous one, unless this is a repeated install.
  tx.exec_params0(
      "UPDATE devices SET "
      "previous_certificate = CASE WHEN certificate_serial = $2 THEN previous_certificate ELSE certificate END, "
      "previous_certificate_serial = CASE WHEN certificate_serial = $2 THEN previous_certificate_serial "
      "ELSE certificate_serial END, "
      "certificate = $3, certificate_serial = $2, certificate_not_after = $4, updated_at = now() "
      "WHERE key = $1",
      device.key, info.serial, cert->certificate, core::format_iso_utc(info.not_after));
  return core::ok_status();
}

core::Status IdentityInstaller::abandon(pqxx::work& tx, const DeviceIdentity& device,
                                        const std::optional<std::string>& previous,
                                        const std::string& pending, bool installed,
                                        TimePoint now) {
  if (device.identity_kind != "cert") {
    if (installed && previous) return install_secret(tx, device, *previous);
    return core::ok_status();
  }
  const auto cert = parse_certificate_credential(pending);
  if (!cert) return core::Error::failure("device " + device.key + ": the pending credential is not a certificate");
  const auto pending_info = certificate_info(cert->certificate, "the pending certificate");
  const auto columns = certificate_columns(tx, device.key);
  if (installed && columns.serial == pending_info.serial && columns.previous) {
    const auto old = certificate_info(*columns.previous, "the previous certificate");
    tx.exec_params0(
        "UPDATE devices SET certificate = previous_certificate, "
        "certificate_serial = previous_certificate_serial, certificate_not_after = $2, "
        "previous_certificate = NULL, previous_certificate_serial = NULL, updated_at = now() "
        "WHERE key = $1",
        device.key, core::format_iso_utc(old.not_after));
  }
  revoke_in_index(tx, cert->certificate, std::nullopt, now);
  return core::ok_status();
}

core::Status IdentityInstaller::retire_previous(pqxx::work& tx, const DeviceIdentity& device,
                                                TimePoint now) {
  if (device.identity_kind != "cert") return core::ok_status();
  const auto columns = certificate_columns(tx, device.key);
  if (!columns.previous) return core::ok_status();
  const auto ca = columns.serial ? store::ca_of_certificate(tx, *columns.serial) : std::nullopt;
  revoke_in_index(tx, *columns.previous, ca, now);
  tx.exec_params0(
      "UPDATE devices SET previous_certificate = NULL, previous_certificate_serial = NULL, "
      "updated_at = now() WHERE key = $1",
      device.key);
  return core::ok_status();
}

core::Status IdentityInstaller::install_secret(pqxx::work& tx, const DeviceIdentity& device,
                                               const std::string& secret) {
  const std::string sealed = box_.seal(secret, idp::device_secret_context(device.key));
  if (device.identity_kind == "local") {
    if (!pepper_)
      return core::Error::usage("device " + device.key +
                                ": a local identity needs IOT_SECRET_PEPPER to rotate");
    const auto hmac = idp::local_secret_hmac(*pepper_, device.key, secret);
    tx.exec_params0(
        "UPDATE devices SET secret_hmac = decode($2, 'hex'), secret_sealed = $3, "
        "updated_at = now() WHERE key = $1",
        device.key, core::hex_encode(hmac), sealed);
    return core::ok_status();
  }
  if (device.identity_kind == "keycloak") {
    auto status = core::capture([&]() -> core::Status {
      return keycloak_().set_secret(device.client_id, secret);
    });
    if (!status) return status.error();
    tx.exec_params0("UPDATE devices SET secret_sealed = $2, updated_at = now() WHERE key = $1",
                    device.key, sealed);
    return core::ok_status();
  }
  return core::Error::conflict("device " + device.key + ": '" + device.identity_kind +
                               "' is not an identity kind this version rotates");
}

}  // namespace iotfleet::rotation
