#include "store/certificates.hpp"

#include "pki/certificate.hpp"
#include "store/database.hpp"

namespace iotfleet::store {

core::Result<std::vector<pki::IndexEntry>> CertificateRecords::entries() {
  const auto rows = tx_.exec_params(
      "SELECT serial, kind, common_name, device_key, " + iso_utc("not_before") + ", " +
          iso_utc("not_after") + ", sha256, " + iso_utc("issued_at") + ", " +
          iso_utc("revoked_at") + ", revocation_reason "
          "FROM certificates WHERE ca_sha256 = $1 ORDER BY seq",
      ca_);
  std::vector<pki::IndexEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    pki::IndexEntry e;
    e.serial = r[0].as<std::string>();
    e.kind = pki::kind_from_name(r[1].as<std::string>());
    e.common_name = r[2].as<std::string>();
    e.device_key = opt_text(r[3]);
    e.not_before = r[4].as<std::string>();
    e.not_after = r[5].as<std::string>();
    e.sha256 = r[6].as<std::string>();
    e.issued_at = r[7].as<std::string>();
    e.revoked_at = opt_text(r[8]);
    e.revocation_reason = opt_text(r[9]);
    out.push_back(std::move(e));
  }
  return out;
}

core::Status CertificateRecords::record_issued(const pki::IndexEntry& e) {
  const auto r = tx_.exec_params(
      "INSERT INTO certificates (ca_sha256, serial, kind, common_name, device_key, not_before, "
      "not_after, sha256, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT DO NOTHING",
      ca_, e.serial, std::string(pki::kind_name(e.kind)), e.common_name, e.device_key,
      e.not_before, e.not_after, e.sha256, e.issued_at);
  if (r.affected_rows() == 0)
    return core::Error::conflict("certificate " + e.serial + " is already in " + where());
  return core::ok_status();
}

core::Status CertificateRecords::record_revoked(const std::string& serial,
                                                const std::string& reason, const std::string& at) {
  const auto r = tx_.exec_params(
      "UPDATE certificates SET revoked_at = $3, revocation_reason = $4 "
      "WHERE ca_sha256 = $1 AND serial = $2 AND revoked_at IS NULL",
      ca_, serial, at, reason);
  if (r.affected_rows() == 0)
    return core::Error::not_found("certificate " + serial + " is not an unrevoked certificate in " +
                                  where());
  return core::ok_status();
}

core::Result<std::int64_t> CertificateRecords::next_crl_number() {
  return tx_
      .exec_params1(
          "INSERT INTO certificate_crl_numbers (ca_sha256, last) VALUES ($1, 1) "
          "ON CONFLICT (ca_sha256) DO UPDATE SET last = certificate_crl_numbers.last + 1 "
          "RETURNING last",
          ca_)[0]
      .as<std::int64_t>();
}

void CertificateRecords::raise_crl_number(std::int64_t number) {
  tx_.exec_params0(
      "INSERT INTO certificate_crl_numbers (ca_sha256, last) VALUES ($1, $2) "
      "ON CONFLICT (ca_sha256) DO UPDATE SET last = GREATEST(certificate_crl_numbers.last, $2)",
      ca_, number);
}

std::optional<std::string> ca_of_certificate(pqxx::transaction_base& tx, const std::string& serial) {
  const auto r = tx.exec_params("SELECT ca_sha256 FROM certificates WHERE serial = $1 LIMIT 1", serial);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

namespace {

template <class Fn>
auto in_own_transaction(pqxx::connection& conn, const std::string& ca, const std::string& what,
                        Fn&& fn) {
  return in_transaction(conn, what, [&](pqxx::work& tx) {
    CertificateRecords records(tx, ca);
    auto r = fn(records);
    if (!r) throw core::Failure(r.error());  // rolls back
    return std::move(r);
  });
}

template <class T>
core::Result<T> flatten(core::Result<core::Result<T>> r) {
  if (!r) return r.error();
  return std::move(r.value());
}

}  // namespace

core::Result<std::vector<pki::IndexEntry>> DatabaseCertificateIndex::entries() {
  return flatten(in_own_transaction(*conn_, ca_, "read the certificate index",
                                    [](CertificateRecords& r) { return r.entries(); }));
}

core::Status DatabaseCertificateIndex::record_issued(const pki::IndexEntry& entry) {
  return flatten(in_own_transaction(*conn_, ca_, "record certificate " + entry.serial,
                                    [&](CertificateRecords& r) { return r.record_issued(entry); }));
}

core::Status DatabaseCertificateIndex::record_revoked(const std::string& serial,
                                                      const std::string& reason,
                                                      const std::string& at) {
  return flatten(in_own_transaction(*conn_, ca_, "revoke certificate " + serial, [&](CertificateRecords& r) {
    return r.record_revoked(serial, reason, at);
  }));
}

core::Result<std::int64_t> DatabaseCertificateIndex::next_crl_number() {
  return flatten(in_own_transaction(*conn_, ca_, "number a CRL",
                                    [](CertificateRecords& r) { return r.next_crl_number(); }));
}

}  // namespace iotfleet::store
