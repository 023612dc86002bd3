// iot-devsim: runs N simulated ESP32 devices on the host, each the firmware's own device core
// (firmware/core) over libcurl, paho, files and OpenSSL, and prints their outcomes as JSON.
// The work is in lib/devsim.
#include <csignal>

#include <atomic>
#include <iostream>

#include "cli/app.hpp"
#include "core/log.hpp"
#include "devsim/fleet.hpp"
#include "devsim/report.hpp"

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using namespace iotfleet;
  core::log::init("iot-devsim");
  CLI::App app{
      "iot-devsim: simulated ESP32 devices on the host. Each runs the firmware's device core over\n"
      "libcurl, paho MQTT, files and OpenSSL: it polls /iot/config, updates its firmware, and\n"
      "rotates its credential when told. Prints per-device outcomes and totals as JSON on stdout;\n"
      "logs go to stderr and never hold a secret.",
      "iot-devsim"};
  app.set_version_flag("--version", "iot-devsim 0.1.0");
  devsim::FleetOptions o;
  o.state = "devsim-state";
  std::string duration = "60s", config_interval = "60s", firmware_interval = "5m",
              backoff_base = "1s", backoff_cap = "5m", mqtt_poll = "1s", http_timeout = "10s";
  std::optional<std::string> offline_for;
  app.add_option("--packages", o.packages,
                 "Folder of JSON provisioning packages, one per device (iot-provision package KEY "
                 "--format json -o DIR/KEY.json)")
      ->required()->option_text("DIR");
  app.add_option("--devices", o.devices, "How many devices (default: one per package)")
      ->option_text("N");
  app.add_option("--state", o.state,
                 "Where devices keep their storage (NVS), DIR/<key>/<ns>.json; kept across runs")
      ->capture_default_str()->option_text("DIR");
  app.add_option("--duration", duration, "How long to run (500ms, 30s, 2m, 1h); SIGINT/SIGTERM stop early")
      ->capture_default_str()->option_text("DURATION");
  app.add_option("--fail-rate", o.fail_rate,
                 "Fraction of devices that drop offline mid-rotation, right after receiving their new "
                 "credential")
      ->capture_default_str();
  app.add_option("--offline-for", offline_for,
                 "How long dropped devices stay offline before booting again (default: until the end)")
      ->option_text("DURATION");
  app.add_option("--config-interval", config_interval, "Configuration poll interval")->capture_default_str()->option_text("DURATION");
  app.add_option("--firmware-interval", firmware_interval, "Firmware version check interval")
      ->capture_default_str()->option_text("DURATION");
  app.add_option("--backoff-base", backoff_base, "First reconnect back-off (doubled, with jitter)")
      ->capture_default_str()->option_text("DURATION");
  app.add_option("--backoff-cap", backoff_cap, "Longest reconnect back-off")->capture_default_str()->option_text("DURATION");
  app.add_option("--mqtt-poll-interval", mqtt_poll, "How often a device looks at its MQTT messages")
      ->capture_default_str()->option_text("DURATION");
  app.add_option("--http-timeout", http_timeout, "Time-out of one HTTP exchange or MQTT connect")
      ->capture_default_str()->option_text("DURATION");
  app.add_option("--initial-version", o.initial_version,
                 "Firmware version devices run at their first start (default: none)");
  app.add_option("--threads", o.threads, "Worker threads stepping the devices")->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of the device choice and of every device's randomness")
      ->capture_default_str();
  app.footer(
      "Exit codes: 0 the run finished (device errors are in the report); 1 a package is unusable;\n"
      "2 bad options. Example:\n"
      "  iot-devsim --packages pkgs --devices 200 --duration 60s --fail-rate 0.05 > report.json");
  app.callback([&] {
    const auto ms = [](const std::string& text, const char* flag) {
      return static_cast<std::uint32_t>(cli::expect(devsim::parse_duration(text, flag)).count());
    };
    o.duration = cli::expect(devsim::parse_duration(duration, "--duration"));
    o.http_timeout = cli::expect(devsim::parse_duration(http_timeout, "--http-timeout"));
    if (offline_for) o.offline_for = cli::expect(devsim::parse_duration(*offline_for, "--offline-for"));
    o.tunables.config_poll_ms = ms(config_interval, "--config-interval");
    o.tunables.firmware_check_ms = ms(firmware_interval, "--firmware-interval");
    o.tunables.backoff_base_ms = ms(backoff_base, "--backoff-base");
    o.tunables.backoff_cap_ms = ms(backoff_cap, "--backoff-cap");
    o.tunables.mqtt_poll_ms = ms(mqtt_poll, "--mqtt-poll-interval");
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const auto report = cli::expect(devsim::run_fleet(o, g_stop));
    cli::print_json(devsim::to_json(report));
  });
  return cli::run(app, argc, argv);
}
