#include "fleet/broker_sync.hpp"

#include <map>
#include <optional>
#include <set>

#include "core/digest.hpp"
#include "core/encoding.hpp"
#include "idp/client_id.hpp"
#include "idp/provider.hpp"
#include "store/database.hpp"
#include "store/devices.hpp"

namespace iotfleet::fleet {

using core::Error;
using nlohmann::json;

namespace {

constexpr std::size_t kBatch = 200;
const std::string kDescriptionPrefix = "iot-fleet-toolkit secret ";

// Sends commands in batches; responses come back in order.
std::vector<mqtt::DynsecResponse> run(mqtt::DynsecClient& broker,
                                      const std::vector<json>& commands) {
  std::vector<mqtt::DynsecResponse> out;
  for (std::size_t i = 0; i < commands.size(); i += kBatch) {
    std::vector<json> batch(
        commands.begin() + static_cast<std::ptrdiff_t>(i),
        commands.begin() + static_cast<std::ptrdiff_t>(std::min(i + kBatch, commands.size())));
    auto r = broker.execute(batch).take();
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

void expect_ok(const mqtt::DynsecResponse& r, const std::string& what,
               const char* tolerated = nullptr) {
  if (r.ok() || (tolerated && r.error.find(tolerated) != std::string::npos)) return;
  throw core::Failure(
      Error::failure("dynamic-security " + r.command + " for " + what + ": " + r.error));
}

struct Wanted {
  std::string key, client_id, model, secret;
};

// The identity a device should have on the broker: none when it is inactive or has a
// certificate identity (counted in the report).
std::optional<Wanted> wanted_identity(const store::Device& d, const core::SecretBox& box,
                                      BrokerSyncReport& report) {
  if (!d.active) return std::nullopt;
  if (d.identity_kind == "cert") {
    ++report.certificate_devices_skipped;
    return std::nullopt;
  }
  if (!d.secret_sealed)
    throw core::Failure(Error::failure("device '" + d.key + "' has no sealed secret"));
  auto secret = box.open(*d.secret_sealed, idp::device_secret_context(d.key));
  if (!secret)
    throw core::Failure(Error::failure("device '" + d.key + "': " + secret.error().message,
                                       secret.error().hint));
  return Wanted{d.key, d.client_id, d.model_code, *secret};
}

// Roles first (a client names its role); an existing role is the same role, since its ACLs
// follow from the device alone.
void ensure_roles(mqtt::DynsecClient& broker, const std::vector<Wanted>& wanted) {
  std::vector<json> roles;
  for (const auto& w : wanted)
    roles.push_back(mqtt::device_role_command(w.key, w.client_id, w.model).take());
  const auto answers = run(broker, roles);
  for (std::size_t i = 0; i < wanted.size(); ++i)
    expect_ok(answers[i], "device '" + wanted[i].key + "'", "already exists");
}

// The textdescription of each named client that exists (absent clients are left out).
std::map<std::string, std::string> present_clients(mqtt::DynsecClient& broker,
                                                    const std::vector<std::string>& names) {
  std::vector<json> gets;
  for (const auto& n : names) gets.push_back({{"command", "getClient"}, {"username", n}});
  const auto got = run(broker, gets);
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!got[i].ok() && got[i].error.find("not found") != std::string::npos) continue;
    expect_ok(got[i], "client '" + names[i] + "'");
    out[names[i]] = got[i].data.value("client", json::object()).value("textdescription", "");
  }
  return out;
}

// Creates, updates and removes clients so that `present` (client id → description) becomes
// `wanted`; `unwanted` are client ids to delete when present.
void apply(mqtt::DynsecClient& broker, const std::vector<Wanted>& wanted,
           const std::map<std::string, std::string>& present,
           const std::vector<std::string>& unwanted, BrokerSyncReport& report) {
  std::vector<json> changes;
  for (const auto& w : wanted) {
    const std::string description = kDescriptionPrefix + secret_fingerprint(w.secret);
    const auto found = present.find(w.client_id);
    if (found == present.end()) {
      changes.push_back(
          {{"command", "createClient"},
           {"username", w.client_id},
           {"password", w.secret},
           {"textdescription", description},
           {"roles", {{{"rolename", mqtt::device_role_name(w.client_id)}, {"priority", -1}}}}});
      report.created.push_back(w.client_id);
    } else if (found->second != description) {
      changes.push_back(
          {{"command", "setClientPassword"}, {"username", w.client_id}, {"password", w.secret}});
      changes.push_back({{"command", "modifyClient"},
                         {"username", w.client_id},
                         {"textdescription", description}});
      report.updated.push_back(w.client_id);
    } else {
      ++report.unchanged;
    }
  }
  for (const auto& id : unwanted)
    if (present.count(id)) {
      changes.push_back({{"command", "deleteClient"}, {"username", id}});
      changes.push_back({{"command", "deleteRole"}, {"rolename", mqtt::device_role_name(id)}});
      report.removed.push_back(id);
    }
  const auto answers = run(broker, changes);
  for (std::size_t i = 0; i < answers.size(); ++i)
    expect_ok(answers[i], changes[i].value("username", changes[i].value("rolename", "")),
              answers[i].command == "deleteRole" ? "not found" : nullptr);
}

}  // namespace

std::string secret_fingerprint(const std::string& secret) {
  const auto digest =
      core::sha256(core::as_bytes("iot-fleet-toolkit dynsec fingerprint\n" + secret));
  return core::hex_encode(std::span(digest).first(16));
}

core::Result<BrokerSyncReport> sync_broker_identities(Session& s, const core::SecretBox& box,
                                                      mqtt::DynsecClient& broker) {
  auto devices = store::in_transaction(s.db, "read the devices", [](pqxx::work& tx) {
    return store::DeviceRepository(tx).list({});
  });
  if (!devices) return devices.error();
  return core::capture([&]() -> BrokerSyncReport {
    BrokerSyncReport report;
    std::vector<Wanted> wanted;
    std::set<std::string> wanted_ids;
    for (const store::Device& d : *devices)
      if (auto w = wanted_identity(d, box, report)) {
        wanted_ids.insert(w->client_id);
        wanted.push_back(std::move(*w));
      }

    const auto listed = run(
        broker, {{{"command", "listClients"}, {"verbose", false}, {"count", -1}, {"offset", 0}}});
    expect_ok(listed.at(0), "the broker");
    std::vector<std::string> existing, unwanted;
    for (const auto& c : listed[0].data.value("clients", json::array()))
      if (c.is_string()) existing.push_back(c.get<std::string>());
    // Only clients that are device client ids are ours to delete; admins and backends stay.
    for (const auto& id : existing)
      if (idp::parse_client_id(id) && !wanted_ids.count(id)) unwanted.push_back(id);

    std::vector<std::string> to_read;
    const std::set<std::string> existing_set(existing.begin(), existing.end());
    for (const auto& w : wanted)
      if (existing_set.count(w.client_id)) to_read.push_back(w.client_id);
    auto present = present_clients(broker, to_read);
    for (const auto& id : unwanted) present.emplace(id, "");

    ensure_roles(broker, wanted);
    apply(broker, wanted, present, unwanted, report);
    return report;
  });
}

core::Result<BrokerSyncReport> sync_broker_devices(Session& s, const core::SecretBox& box,
                                                   mqtt::DynsecClient& broker,
                                                   const std::vector<BrokerDevice>& devices) {
  auto rows = store::in_transaction(s.db, "read the devices", [&](pqxx::work& tx) {
    std::vector<std::optional<store::Device>> found;
    store::DeviceRepository repo(tx);
    for (const auto& d : devices) found.push_back(repo.find(d.key));
    return found;
  });
  if (!rows) return rows.error();
  return core::capture([&]() -> BrokerSyncReport {
    BrokerSyncReport report;
    std::vector<Wanted> wanted;
    std::vector<std::string> names, unwanted;
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const auto& row = (*rows)[i];
      // A device that is gone is named by the client id it had.
      const std::string client_id = row ? row->client_id : devices[i].client_id;
      if (client_id.empty()) continue;
      names.push_back(client_id);
      if (auto w = row ? wanted_identity(*row, box, report) : std::nullopt)
        wanted.push_back(std::move(*w));
      else
        unwanted.push_back(client_id);
    }
    const auto present = present_clients(broker, names);
    ensure_roles(broker, wanted);
    apply(broker, wanted, present, unwanted, report);
    return report;
  });
}

core::Result<BrokerSyncReport> BrokerIdentityKeeper::keep(Session& s, const core::SecretBox& box,
                                                          const BrokerDevice& device) {
  std::lock_guard lock(mutex_);
  if (!broker_) {
    auto connected = mqtt::DynsecClient::connect(admin_, timeout_);
    if (!connected) return connected.error();
    broker_ = std::move(*connected);
  }
  auto r = sync_broker_devices(s, box, *broker_, {device});
  if (!r) broker_.reset();  // a broken connection is made again next time
  return r;
}

}  // namespace iotfleet::fleet
