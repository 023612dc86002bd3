// Issue 10, part 4: 200 simulated devices (iot-devsim, the firmware's own core) go through a
// fleet rotation driven by iot-rotate run in a loop like its CronJob, with a window of 10, while
// 5% drop offline right after receiving their new credential; then a firmware pin reaches every
// online device. Checked from the outside: the database, the devices' storage, iot-serve and the
// Keycloak stand-in's token endpoint.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "e2e/fleet_fixture.hpp"

namespace iotfleet::test_support {
namespace {

using namespace std::chrono_literals;

constexpr int kLocal = 150, kKeycloak = 50, kDevices = kLocal + kKeycloak;
constexpr int kWindow = 10;
constexpr int kDropping = 10;  // 5% of 200

class FleetRotation : public FleetTest {
 protected:
  FleetRotation() {
    rotation_env = {{"ROTATION_MAX_IN_FLIGHT", std::to_string(kWindow)},
                    {"ROTATION_TIMEOUT_SECONDS", "10"},
                    // Timed-out devices stay TIMEOUT for the rest of the test.
                    {"ROTATION_BACKOFF_BASE_SECONDS", "3600"},
                    {"ROTATION_BACKOFF_CAP_SECONDS", "7200"}};
  }

  std::int64_t in_state(const std::string& state) {
    return count("SELECT count(*) FROM devices WHERE rotation_state = '" + state + "'");
  }
  std::string state_of(const std::string& key) {
    return db.scalar("SELECT rotation_state FROM devices WHERE key = '" + key + "'");
  }

  std::unique_ptr<Background> start_devsim(int fleet_size, const std::string& fail_rate,
                                           std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "--packages", packages_dir.string(), "--state", state_dir.string(), "--devices",
        std::to_string(fleet_size), "--duration", "240s", "--fail-rate", fail_rate,
        "--config-interval", "1s", "--firmware-interval", "2s", "--mqtt-poll-interval", "200ms",
        "--backoff-base", "500ms", "--backoff-cap", "3s", "--initial-version", "1.0.0",
        "--threads", "8", "--seed", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<Background>(bin("iot-devsim"), args,
                                        std::map<std::string, std::string>{{"IOT_LOG_FORMAT", "json"}},
                                        std::vector<std::string>{},
                                        (dir.path() / "devsim.json").string(),
                                        (dir.path() / "devsim.log").string());
  }

  /// `iot-rotate trigger --fleet`, then `iot-rotate run` every second (the CronJob) until
  /// nothing is queued or pending; samples the devices in flight four times per cycle.
  void rotate_fleet(int fleet_size, std::int64_t& max_in_flight, int& runs) {
    auto r = rotate({"trigger", "--fleet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(in_state("QUEUED"), fleet_size);
    const auto deadline = std::chrono::steady_clock::now() + 150s;
    while (std::chrono::steady_clock::now() < deadline) {
      r = rotate({"run"});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
      ++runs;
      for (int i = 0; i < 4; ++i) {
        max_in_flight = std::max(max_in_flight, in_state("PENDING"));
        std::this_thread::sleep_for(250ms);
      }
      if (in_state("QUEUED") == 0 && in_state("PENDING") == 0) return;
    }
  }

  /// The report iot-devsim prints when it is stopped.
  nlohmann::json stop_devsim(Background& devsim) {
    EXPECT_EQ(devsim.stop(), 0) << devsim.err();
    auto report = nlohmann::json::parse(devsim.out(), nullptr, false);
    EXPECT_TRUE(report.is_object()) << devsim.out() << devsim.err();
    return report.is_object() ? report : nlohmann::json::object();
  }

  static nlohmann::json outcome_of(const nlohmann::json& report, const std::string& key) {
    for (const auto& o : report.value("devices", nlohmann::json::array()))
      if (o["key"] == key) return o;
    return nullptr;
  }
};

TEST_F(FleetRotation, TwoHundredDevicesRotateWithAWindowOfTenWhileFivePercentDropOffline) {
  const auto started = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(create_fleet(kLocal, kKeycloak));
  ASSERT_NO_FATAL_FAILURE(upload_firmware("1.0.0", false));
  ASSERT_NO_FATAL_FAILURE(start_serve());

  auto devsim = start_devsim(kDevices, "0.05");
  std::this_thread::sleep_for(3s);  // every device has booted and polled once
  ASSERT_TRUE(devsim->running()) << devsim->err();

  std::int64_t max_in_flight = 0;
  int runs = 0;
  ASSERT_NO_FATAL_FAILURE(rotate_fleet(kDevices, max_in_flight, runs));
  ASSERT_TRUE(devsim->running()) << devsim->err();
  EXPECT_EQ(in_state("QUEUED"), 0);
  EXPECT_EQ(in_state("PENDING"), 0);
  EXPECT_EQ(in_state("TIMEOUT"), kDropping);
  EXPECT_EQ(in_state("OK"), kDevices - kDropping);
  EXPECT_LE(max_in_flight, kWindow) << "the window was exceeded";
  EXPECT_GE(max_in_flight, kWindow / 2) << "the window was hardly used";
  const auto rotated_at = std::chrono::steady_clock::now();

  // A firmware pin reaches every online device.
  ASSERT_NO_FATAL_FAILURE(upload_firmware("1.1.0", true));
  std::this_thread::sleep_for(10s);
  const auto report = stop_devsim(*devsim);
  ASSERT_FALSE(report.empty());

  const auto& totals = report["totals"];
  EXPECT_EQ(totals["devices"], kDevices);
  EXPECT_EQ(totals["dropped"], kDropping);
  EXPECT_EQ(totals["online"], kDevices - kDropping);
  EXPECT_EQ(report["devices"].size(), static_cast<std::size_t>(kDevices));
  int checked_local = 0, checked_keycloak = 0;
  for (const auto& d : devices) {
    SCOPED_TRACE("device " + d.key + " (" + d.identity + ")");
    const auto outcome = outcome_of(report, d.key);
    ASSERT_TRUE(outcome.is_object()) << "missing from the report";
    const auto secret = stored(d.key, "prov", "client_secret");
    if (outcome["dropped"]) {
      // Offline since it received its new credential: TIMEOUT, and the old one works again.
      EXPECT_EQ(state_of(d.key), "TIMEOUT");
      EXPECT_TRUE(outcome["rotating"].get<bool>());
      EXPECT_EQ(outcome["rotations_completed"], 0);
      EXPECT_FALSE(stored(d.key, "state", "new_secret").empty()) << "it held the new credential";
      EXPECT_TRUE(accepted(d, secret)) << "its old credential was not restored";
      EXPECT_FALSE(accepted(d, stored(d.key, "state", "new_secret")));
      continue;
    }
    EXPECT_TRUE(outcome["online"].get<bool>());
    EXPECT_EQ(state_of(d.key), "OK");
    EXPECT_EQ(outcome["rotations_completed"], 1);
    EXPECT_FALSE(outcome["rotating"].get<bool>());
    EXPECT_EQ(stored(d.key, "state", "new_secret"), "");
    EXPECT_TRUE(accepted(d, secret)) << "the credential it holds is refused";
    EXPECT_EQ(outcome["firmware_version"], "1.1.0");
    EXPECT_EQ(outcome["updates_applied"], 1);
    EXPECT_EQ(outcome["errors"]["unauthorized"], 0);
    EXPECT_EQ(outcome["errors"]["firmware_integrity"], 0);
    (d.identity == "local" ? checked_local : checked_keycloak)++;
  }
  EXPECT_GT(checked_local, 0);
  EXPECT_GT(checked_keycloak, 0);
  const auto seconds = [](auto d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
  std::cout << "[e2e] " << kDevices << " devices: rotation in " << runs << " cycles, "
            << seconds(rotated_at - started) << " s from the start; max in flight " << max_in_flight
            << "; whole test " << seconds(std::chrono::steady_clock::now() - started) << " s\n";
}

// Devices that drop mid-rotation and come back after their attempt timed out: the server put
// their old credential back, so the new one they hold is refused; they fall back to the old one,
// which works, and wait for the next attempt.
TEST_F(FleetRotation, DevicesBackAfterATimeOutFallBackToTheirRestoredCredential) {
  constexpr int kSmall = 20, kBack = 5;  // a quarter drops, for 15 s (the time-out is 10 s)
  ASSERT_NO_FATAL_FAILURE(create_fleet(10, 10));
  ASSERT_NO_FATAL_FAILURE(upload_firmware("1.0.0", false));
  ASSERT_NO_FATAL_FAILURE(start_serve());
  auto devsim = start_devsim(kSmall, "0.25", {"--offline-for", "15s"});
  std::this_thread::sleep_for(2s);
  std::int64_t max_in_flight = 0;
  int runs = 0;
  ASSERT_NO_FATAL_FAILURE(rotate_fleet(kSmall, max_in_flight, runs));
  EXPECT_EQ(in_state("TIMEOUT"), kBack);
  EXPECT_LE(max_in_flight, kWindow);
  std::this_thread::sleep_for(12s);  // every dropped device is back and has polled a few times
  const auto report = stop_devsim(*devsim);
  ASSERT_FALSE(report.empty());
  EXPECT_EQ(report["totals"]["came_back"], kBack);
  EXPECT_EQ(report["totals"]["online"], kSmall);
  for (const auto& d : devices) {
    SCOPED_TRACE("device " + d.key + " (" + d.identity + ")");
    const auto outcome = outcome_of(report, d.key);
    ASSERT_TRUE(outcome.is_object()) << "missing from the report";
    const auto secret = stored(d.key, "prov", "client_secret");
    EXPECT_TRUE(accepted(d, secret)) << "the credential it holds is refused";
    if (!outcome["came_back"]) {
      EXPECT_EQ(state_of(d.key), "OK");
      continue;
    }
    EXPECT_EQ(state_of(d.key), "TIMEOUT");
    EXPECT_GE(outcome["rotation_fallbacks"], 1);
    EXPECT_FALSE(outcome["rotating"].get<bool>());
    EXPECT_EQ(stored(d.key, "state", "new_secret"), "") << "the refused credential was kept";
    EXPECT_GT(outcome["configs_fetched"].get<int>() + outcome["configs_unchanged"].get<int>(), 0);
  }
}

}  // namespace
}  // namespace iotfleet::test_support
