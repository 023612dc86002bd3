#include "fleet/device_ca.hpp"

#include <map>

#include "core/files.hpp"
#include "store/certificates.hpp"
#include "store/database.hpp"

namespace iotfleet::fleet {

core::Result<bool> ca_index_in_database(const core::Config& config,
                                        const std::optional<std::string>& flag) {
  const auto value = config.get(pki::kCaIndex, flag).value_or("file");
  if (value == "database") return true;
  if (value == "file") return false;
  return core::Error::usage("--ca-index (IOT_CA_INDEX) is '" + value +
                            "': give 'file' (index.jsonl beside ca.crt) or 'database'");
}

std::string ca_fingerprint(const pki::Authority& ca) {
  return pki::describe(ca.certificate()).sha256;
}

core::Result<pki::Authority> open_device_ca(const core::Config& config, const std::string& dir,
                                            const std::optional<std::string>& index_flag,
                                            std::shared_ptr<pqxx::connection> db) {
  auto in_database = ca_index_in_database(config, index_flag);
  if (!in_database) return in_database.error();
  auto ca = pki::Authority::open(dir);
  if (!ca || !*in_database) return ca;
  if (!db) {
    auto opened = store::open_database(config);
    if (!opened) return opened.error();
    db = std::shared_ptr<pqxx::connection>(std::move(opened.value()));
  }
  return ca->with_index(
      std::make_shared<store::DatabaseCertificateIndex>(std::move(db), ca_fingerprint(*ca)));
}

pki::Authority ca_in_transaction(const pki::Authority& ca, pqxx::transaction_base& tx) {
  return ca.with_index(std::make_shared<store::CertificateRecords>(tx, ca_fingerprint(ca)));
}

core::Result<IndexImport> import_file_index(pqxx::connection& db, const std::string& ca_dir) {
  auto ca = pki::Authority::open(ca_dir);
  if (!ca) return ca.error();
  auto files = ca->entries();
  if (!files) return files.error();
  std::int64_t file_crl_number = 0;
  if (auto text = core::read_file(ca_dir + "/crlnumber", 64)) {
    try {
      file_crl_number = std::stoll(*text);
    } catch (const std::exception&) {
      return core::Error::failure(ca_dir + "/crlnumber: not a number", "repair or remove the file");
    }
  }
  return store::in_transaction(db, "import the CA index of " + ca_dir, [&](pqxx::work& tx) {
    store::CertificateRecords records(tx, ca_fingerprint(*ca));
    std::map<std::string, pki::IndexEntry> known;
    for (auto& e : records.entries().take()) known.emplace(e.serial, std::move(e));
    IndexImport report;
    for (const auto& e : *files) {
      const auto it = known.find(e.serial);
      bool changed = false;
      if (it == known.end()) {
        core::check(records.record_issued(e));
        ++report.added;
        changed = true;
      }
      if (e.revoked() && (it == known.end() || !it->second.revoked())) {
        core::check(records.record_revoked(e.serial, e.revocation_reason.value_or("unspecified"),
                                           *e.revoked_at));
        ++report.revoked;
        changed = true;
      }
      if (!changed) ++report.unchanged;
    }
    records.raise_crl_number(file_crl_number);
    report.crl_number = tx.exec_params1(
        "SELECT last FROM certificate_crl_numbers WHERE ca_sha256 = $1", ca_fingerprint(*ca))[0]
                            .as<std::int64_t>();
    return report;
  });
}

}  // namespace iotfleet::fleet
