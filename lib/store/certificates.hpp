#pragma once
// The device CA's index in PostgreSQL (IOT_CA_INDEX=database; table `certificates` of migration
// 0005). Rows belong to one CA, named by the SHA-256 of its certificate.

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "pki/index.hpp"

namespace iotfleet::store {

/// Records inside the caller's transaction, so an issue or a revocation commits or rolls back
/// with the step that caused it. Throws like the repositories (the transaction's owner
/// translates); returns errors only for what is not a database failure.
class CertificateRecords final : public pki::CertificateIndex {
 public:
  CertificateRecords(pqxx::transaction_base& tx, std::string ca_sha256)
      : tx_(tx), ca_(std::move(ca_sha256)) {}

  core::Result<std::vector<pki::IndexEntry>> entries() override;
  core::Status record_issued(const pki::IndexEntry& entry) override;
  core::Status record_revoked(const std::string& serial, const std::string& reason,
                              const std::string& at) override;
  core::Result<std::int64_t> next_crl_number() override;
  std::string where() const override { return "the database's certificate index"; }

  /// Raises the CRL number to at least `number` (taking over a file index's crlnumber).
  void raise_crl_number(std::int64_t number);

 private:
  pqxx::transaction_base& tx_;
  std::string ca_;
};

/// The fingerprint of the CA whose index holds this serial, if any does.
std::optional<std::string> ca_of_certificate(pqxx::transaction_base& tx, const std::string& serial);

/// For a command holding a connection: every call is a transaction of its own.
class DatabaseCertificateIndex final : public pki::CertificateIndex {
 public:
  DatabaseCertificateIndex(std::shared_ptr<pqxx::connection> conn, std::string ca_sha256)
      : conn_(std::move(conn)), ca_(std::move(ca_sha256)) {}

  core::Result<std::vector<pki::IndexEntry>> entries() override;
  core::Status record_issued(const pki::IndexEntry& entry) override;
  core::Status record_revoked(const std::string& serial, const std::string& reason,
                              const std::string& at) override;
  core::Result<std::int64_t> next_crl_number() override;
  std::string where() const override { return "the database's certificate index"; }

  pqxx::connection& connection() { return *conn_; }
  const std::string& ca_sha256() const { return ca_; }

 private:
  std::shared_ptr<pqxx::connection> conn_;
  std::string ca_;
};

}  // namespace iotfleet::store
