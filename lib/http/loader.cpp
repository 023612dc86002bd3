#include "http/loader.hpp"

#include "core/log.hpp"
#include "store/database.hpp"
#include "store/devices.hpp"
#include "store/migrations.hpp"

namespace iotfleet::http {
namespace {

constexpr std::size_t kMaxKeysPerRefresh = 500;  // more than that: reload all devices

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, std::set<std::string>& keys, bool& all_devices,
           bool& firmware)
      : pqxx::notification_receiver(conn, kNotifyChannel),
        keys_(keys),
        all_devices_(all_devices),
        firmware_(firmware) {}
  void operator()(const std::string& payload, int) override {
    if (payload.rfind("device:", 0) == 0) {
      if (keys_.size() < kMaxKeysPerRefresh)
        keys_.insert(payload.substr(7));
      else
        all_devices_ = true;
    } else if (payload == "devices:*") {
      all_devices_ = true;
    } else {
      firmware_ = true;
    }
  }

 private:
  std::set<std::string>& keys_;
  bool& all_devices_;
  bool& firmware_;
};

}  // namespace

core::Result<std::unique_ptr<pqxx::connection>> connect_serving(const std::string& url,
                                                                const std::string& role) {
  auto conn = store::connect(url);
  if (!conn) return conn.error();
  if (auto status = store::require_current_schema(**conn); !status) return status.error();
  if (role.empty()) return conn;
  try {
    pqxx::nontransaction tx(**conn);
    tx.exec0("SET ROLE " + (*conn)->quote_name(role));
  } catch (const std::exception& e) {
    auto error = store::translate(e, "SET ROLE " + role);
    if (error.kind == core::ErrorKind::unavailable) return error;
    return core::Error::usage(
        "cannot act as the database role '" + role + "' (" + error.message + ")",
        "run scripts/serve-db-role.sh as a database administrator, or give --db-role none to "
        "use DATABASE_URL's own privileges");
  }
  return conn;
}

DeviceMap read_devices(pqxx::transaction_base& tx, const std::vector<std::string>* keys) {
  std::string sql =
      "SELECT d.key, m.code, d.client_id, d.identity_kind, d.active, encode(d.secret_hmac, 'hex'), "
      "d.rotation_state, d.config::text, d.certificate_serial, d.previous_certificate_serial "
      "FROM devices d JOIN device_models m ON m.id = d.model_id";
  pqxx::result rows;
  if (keys) {
    std::vector<std::optional<std::string>> list(keys->begin(), keys->end());
    rows = tx.exec_params(sql + " WHERE d.key = ANY($1::text[])", store::text_array_literal(list));
  } else {
    rows = tx.exec(sql);
  }
  DeviceMap out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    auth::DeviceRecord r;
    r.key = row[0].as<std::string>();
    r.model_code = row[1].as<std::string>();
    r.client_id = row[2].as<std::string>();
    r.identity_kind = row[3].as<std::string>();
    r.active = row[4].as<bool>();
    if (!row[5].is_null()) r.secret_hmac = core::hex_decode(row[5].as<std::string>());
    r.certificate_serial = store::opt_text(row[8]);
    r.previous_certificate_serial = store::opt_text(row[9]);
    std::string key = r.key;
    out.emplace(std::move(key), make_device_entry(std::move(r), row[6].as<std::string>(),
                                                  row[7].as<std::string>()));
  }
  return out;
}

FirmwareMap read_firmware(pqxx::transaction_base& tx, const Snapshot& snapshot) {
  const auto rows = tx.exec(
      "SELECT m.code, v.version, encode(v.sha256, 'hex'), v.chip FROM device_models m "
      "JOIN LATERAL (SELECT * FROM firmware_versions v WHERE v.model_id = m.id "
      "ORDER BY (v.id = m.pinned_firmware_id) IS TRUE DESC, v.id DESC LIMIT 1) v ON true");
  FirmwareMap out;
  std::map<std::string, std::shared_ptr<const std::string>> fetched;
  for (const auto& row : rows) {
    auto f = std::make_shared<FirmwareEntry>();
    f->model_code = row[0].as<std::string>();
    f->version = row[1].as<std::string>();
    f->sha256 = row[2].as<std::string>();
    f->chip = row[3].as<std::string>();
    if (auto held = fetched.find(f->sha256); held != fetched.end())
      f->bytes = held->second;
    else if (auto bytes = snapshot.image(f->sha256))
      f->bytes = bytes;
    else {
      const auto blob = tx.exec_params1(
          "SELECT data FROM firmware_images WHERE sha256 = decode($1, 'hex')", f->sha256);
      const pqxx::binarystring data(blob[0]);
      f->bytes = std::make_shared<const std::string>(data.str());
    }
    fetched[f->sha256] = f->bytes;
    std::string code = f->model_code;
    out.emplace(std::move(code), std::move(f));
  }
  return out;
}

void refresh_devices(pqxx::transaction_base& tx, Snapshot& snapshot,
                     const std::vector<std::string>& keys) {
  auto found = read_devices(tx, &keys);
  for (const auto& key : keys) {
    const auto it = found.find(key);
    snapshot.put_device(key, it == found.end() ? nullptr : it->second);
  }
}

Loader::Loader(LoaderSettings settings, Snapshot& snapshot)
    : s_(std::move(settings)), snapshot_(snapshot) {}

Loader::~Loader() { stop(); }

void Loader::start() {
  thread_ = std::thread([this] { run(); });
}

void Loader::stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::int64_t Loader::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Loader::ready() const {
  if (!loaded_) return false;
  if (up_) return true;
  return now_ms() - down_since_ms_.load() < s_.db_grace.count() * 1000;
}

double Loader::data_age_seconds() const {
  if (!loaded_) return 0;
  return static_cast<double>(now_ms() - confirmed_ms_.load()) / 1000.0;
}

bool Loader::wait_loaded(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!loaded_) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void Loader::confirmed() { confirmed_ms_ = now_ms(); }

void Loader::full_load(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  auto devices = read_devices(tx);
  auto firmware = read_firmware(tx, snapshot_);
  tx.commit();
  const auto count = devices.size();
  snapshot_.replace_devices(std::move(devices));
  snapshot_.replace_firmware(std::move(firmware));
  ++full_loads_;
  confirmed();
  if (!loaded_.exchange(true))
    core::log::info("data loaded",
                    {{"devices", count}, {"firmware_images", snapshot_.image_count()}});
}

void Loader::session(pqxx::connection& conn) {
  std::set<std::string> keys;
  bool all_devices = false, firmware = false;
  Receiver receiver(conn, keys, all_devices, firmware);
  full_load(conn);
  auto last_full = std::chrono::steady_clock::now();
  auto last_beat = last_full;
  while (!stopping_) {
    // Wake at least every 200 ms so stop() is prompt; a broken connection throws here.
    conn.await_notification(0, 200000);
    while (conn.get_notifs() > 0) {
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_full >= s_.reload_interval) {
      keys.clear();
      all_devices = firmware = false;
      full_load(conn);
      last_full = last_beat = now;
      continue;
    }
    if (all_devices || firmware || !keys.empty()) {
      pqxx::read_transaction tx(conn);
      if (all_devices)
        snapshot_.replace_devices(read_devices(tx));
      else if (!keys.empty())
        refresh_devices(tx, snapshot_, std::vector<std::string>(keys.begin(), keys.end()));
      if (firmware) snapshot_.replace_firmware(read_firmware(tx, snapshot_));
      tx.commit();
      keys.clear();
      all_devices = firmware = false;
      confirmed();
      last_beat = now;
    } else if (now - last_beat >= s_.heartbeat) {
      pqxx::nontransaction tx(conn);
      tx.exec("SELECT 1");
      confirmed();
      last_beat = now;
    }
  }
}

void Loader::run() {
  std::chrono::milliseconds backoff(250);
  while (!stopping_) {
    auto conn = connect_serving(s_.database_url, s_.role);
    if (conn) {
      try {
        if (!up_.exchange(true) && loaded_) core::log::info("database reachable again");
        backoff = std::chrono::milliseconds(250);
        session(**conn);
        return;  // stopping
      } catch (const std::exception& e) {
        core::log::warn("lost the database; serving the last data",
                        {{"error", store::translate(e, "loading data").message}});
      }
    } else {
      core::log::warn("cannot reach the database; serving the last data",
                      {{"error", conn.error().message}});
    }
    if (up_.exchange(false) || down_since_ms_ == 0) down_since_ms_ = now_ms();
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, backoff, [this] { return stopping_.load(); });
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
  }
}

}  // namespace iotfleet::http
