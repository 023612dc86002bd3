#pragma once
// Opening the device CA with its index where IOT_CA_INDEX (--ca-index) says: the files beside
// ca.crt, or PostgreSQL. Every tool that issues or revokes device certificates goes through here,
// so they all agree on one index.

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "core/config.hpp"
#include "pki/authority.hpp"

namespace iotfleet::fleet {

/// True for "database", false for "file"; a usage error naming --ca-index otherwise.
core::Result<bool> ca_index_in_database(const core::Config& config,
                                        const std::optional<std::string>& flag = std::nullopt);

/// The SHA-256 of the CA's certificate: the key of its rows in the database index.
std::string ca_fingerprint(const pki::Authority& ca);

/// The CA in dir. With the database index the connection is `db`, or one opened with
/// DATABASE_URL when db is null.
core::Result<pki::Authority> open_device_ca(const core::Config& config, const std::string& dir,
                                            const std::optional<std::string>& index_flag,
                                            std::shared_ptr<pqxx::connection> db = nullptr);

/// The same CA recording into the database index inside tx (a step whose issue or revocation
/// must commit with it).
pki::Authority ca_in_transaction(const pki::Authority& ca, pqxx::transaction_base& tx);

struct IndexImport {
  std::int64_t added = 0;     // certificates the database index did not know
  std::int64_t revoked = 0;   // revocations carried over
  std::int64_t unchanged = 0;  // already there, as they are in the files
  std::int64_t crl_number = 0;  // the database's CRL number now (never below the file's)
};

/// Copies the CA's file index (index.jsonl, crlnumber in ca_dir) into the database index, in one
/// transaction; running it again changes nothing. The files stay as they were.
core::Result<IndexImport> import_file_index(pqxx::connection& db, const std::string& ca_dir);

}  // namespace iotfleet::fleet
