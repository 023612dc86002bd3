#include "devsim/sim_device.hpp"

#include <nlohmann/json.hpp>

#include "core/files.hpp"

namespace iotfleet::devsim {
namespace {

constexpr std::string_view kProv = "prov";
constexpr std::string_view kState = "state";
constexpr const char* kFields[] = {"device_key", "client_id",  "client_secret", "token_url",
                                   "base_url",   "mqtt_url",   "wifi_ssid",     "wifi_password"};
constexpr const char* kRequired[] = {"device_key", "client_id", "client_secret", "base_url"};

}  // namespace

core::Result<std::map<std::string, std::string>> read_package(const std::filesystem::path& file) {
  auto text = core::read_file(file.string(), 64 * 1024);
  if (!text) return text.error();
  const auto json = nlohmann::json::parse(*text, nullptr, false);
  if (!json.is_object())
    return core::Error::failure("package " + file.string() + " is not a JSON object",
                                "write it with `iot-provision package KEY --format json -o FILE`");
  std::map<std::string, std::string> fields;
  for (const char* name : kFields) {
    const auto it = json.find(name);
    if (it != json.end() && it->is_string()) fields[name] = it->get<std::string>();
  }
  for (const char* name : kRequired)
    if (fields[name].empty())
      return core::Error::failure("package " + file.string() + " has no '" + name + "'");
  return fields;
}

void add_stats(iot_device::Stats& a, const iot_device::Stats& b) {
  a.configs_fetched += b.configs_fetched;
  a.configs_unchanged += b.configs_unchanged;
  a.tokens_fetched += b.tokens_fetched;
  a.rotations_started += b.rotations_started;
  a.rotations_completed += b.rotations_completed;
  a.rotation_fallbacks += b.rotation_fallbacks;
  a.updates_applied += b.updates_applied;
  a.notices_received += b.notices_received;
  for (int i = 0; i < static_cast<int>(iot_device::ErrorKind::count_); ++i) a.errors[i] += b.errors[i];
}

core::Result<std::unique_ptr<SimDevice>> SimDevice::create(const std::filesystem::path& package,
                                                           const FleetOptions& options,
                                                           std::uint32_t seed) {
  auto fields = read_package(package);
  if (!fields) return fields.error();
  const auto& key = (*fields)["device_key"];
  if (key.find('/') != std::string::npos || key == "." || key == "..")
    return core::Error::failure("package " + package.string() + ": device_key is not a file name");
  std::unique_ptr<SimDevice> sim(new SimDevice(key, (*fields)["client_id"],
                                               (*fields)["token_url"].empty() ? "local" : "keycloak",
                                               options, seed));
  if (!sim->storage_.has(kProv)) {
    if (auto s = sim->storage_.replace(kProv, *fields); !s) return s.error();
    if (!options.initial_version.empty() &&
        !sim->storage_.write(kState, "fw_version", options.initial_version))
      return core::Error::failure("cannot write the state of device " + key);
  }
  return sim;
}

SimDevice::SimDevice(std::string key, std::string client_id, std::string identity,
                     const FleetOptions& options, std::uint32_t seed)
    : key_(std::move(key)),
      client_id_(std::move(client_id)),
      identity_(std::move(identity)),
      tunables_(options.tunables),
      storage_(options.state / key_),
      http_(options.http_timeout),
      mqtt_(options.http_timeout),
      random_(seed) {}

bool SimDevice::boot() {
  const iot_device::Ports ports{http_, mqtt_, storage_, clock_, random_, sha256_, slot_};
  device_ = std::make_unique<iot_device::Device>(ports, tunables_);
  ++boots_;
  if (device_->begin()) return true;
  device_.reset();
  return false;
}

std::uint32_t SimDevice::step() {
  const auto delay = device_->step();
  last_version_ = std::string(device_->firmware_version());
  last_rotating_ = device_->rotating();
  return delay;
}

void SimDevice::power_off() {
  if (!device_) return;
  add_stats(earlier_, device_->stats());
  last_version_ = std::string(device_->firmware_version());
  last_rotating_ = device_->rotating();
  device_.reset();
  mqtt_.disconnect();
  http_.reset();
}

iot_device::Stats SimDevice::stats() const {
  iot_device::Stats total = earlier_;
  if (device_) add_stats(total, device_->stats());
  return total;
}

std::uint32_t SimDevice::rotations_started_now() const {
  return device_ ? device_->stats().rotations_started : 0;
}

std::string SimDevice::firmware_version() const {
  return device_ ? std::string(device_->firmware_version()) : last_version_;
}

bool SimDevice::rotating() const { return device_ ? device_->rotating() : last_rotating_; }

}  // namespace iotfleet::devsim
