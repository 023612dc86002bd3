#include "fleet/broker_sync.hpp"

#include <map>
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
    for (const store::Device& d : *devices) {
      if (!d.active) continue;
      if (d.identity_kind == "cert") {
        ++report.certificate_devices_skipped;
        continue;
      }
      if (!d.secret_sealed)
        throw core::Failure(Error::failure("device '" + d.key + "' has no sealed secret"));
      auto secret = box.open(*d.secret_sealed, idp::device_secret_context(d.key));
      if (!secret)
        throw core::Failure(Error::failure("device '" + d.key + "': " + secret.error().message,
                                           secret.error().hint));
      wanted.push_back({d.key, d.client_id, d.model_code, *secret});
    }

    const auto listed = run(
        broker, {{{"command", "listClients"}, {"verbose", false}, {"count", -1}, {"offset", 0}}});
    expect_ok(listed.at(0), "the broker");
    std::set<std::string> existing;
    for (const auto& c : listed[0].data.value("clients", json::array()))
      if (c.is_string()) existing.insert(c.get<std::string>());

    // Roles first (a client names its role); an existing role is the same role, since its ACLs
    // follow from the client id alone.
    std::vector<json> roles;
    for (const auto& w : wanted)
      roles.push_back(mqtt::device_role_command(w.key, w.client_id, w.model).take());
    const auto role_answers = run(broker, roles);
    for (std::size_t i = 0; i < wanted.size(); ++i)
      expect_ok(role_answers[i], "device '" + wanted[i].key + "'", "already exists");

    std::vector<json> gets;
    std::vector<const Wanted*> present;
    for (const auto& w : wanted)
      if (existing.count(w.client_id)) {
        gets.push_back({{"command", "getClient"}, {"username", w.client_id}});
        present.push_back(&w);
      }
    const auto got = run(broker, gets);
    std::map<std::string, std::string> fingerprints;
    for (std::size_t i = 0; i < present.size(); ++i) {
      expect_ok(got[i], "client '" + present[i]->client_id + "'");
      fingerprints[present[i]->client_id] =
          got[i].data.value("client", json::object()).value("textdescription", "");
    }

    std::vector<json> changes;
    std::set<std::string> wanted_ids;
    for (const auto& w : wanted) {
      wanted_ids.insert(w.client_id);
      const std::string description = kDescriptionPrefix + secret_fingerprint(w.secret);
      if (!existing.count(w.client_id)) {
        changes.push_back(
            {{"command", "createClient"},
             {"username", w.client_id},
             {"password", w.secret},
             {"textdescription", description},
             {"roles", {{{"rolename", mqtt::device_role_name(w.client_id)}, {"priority", -1}}}}});
        report.created.push_back(w.client_id);
      } else if (fingerprints[w.client_id] != description) {
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
    // Only clients that are device client ids are ours to delete; admins and backends stay.
    for (const auto& id : existing)
      if (idp::parse_client_id(id) && !wanted_ids.count(id)) {
        changes.push_back({{"command", "deleteClient"}, {"username", id}});
        changes.push_back({{"command", "deleteRole"}, {"rolename", mqtt::device_role_name(id)}});
        report.removed.push_back(id);
      }
    const auto answers = run(broker, changes);
    for (std::size_t i = 0; i < answers.size(); ++i)
      expect_ok(answers[i], changes[i].value("username", changes[i].value("rolename", "")),
                answers[i].command == "deleteRole" ? "not found" : nullptr);
    return report;
  });
}

}  // namespace iotfleet::fleet
