#include "devsim/fleet.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <queue>
#include <random>
#include <set>
#include <thread>

#include "core/log.hpp"
#include "devsim/sim_device.hpp"

namespace iotfleet::devsim {
namespace {

using Clock = std::chrono::steady_clock;

struct Entry {
  Clock::time_point due;
  std::size_t index;
  bool operator>(const Entry& o) const { return due > o.due; }
};

struct Slot {
  std::unique_ptr<SimDevice> sim;
  bool fails = false;    // chosen to drop offline mid-rotation
  bool dropped = false;  // has dropped (once)
  bool came_back = false;
  bool booted = false;
  std::uint32_t started_at_boot = 0;  // rotations_started when it booted
};

core::Result<std::vector<std::filesystem::path>> list_packages(const FleetOptions& o) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(o.packages, ec)) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && entry.path().extension() == ".json")
      files.push_back(entry.path());
  }
  if (ec) return core::Error::failure("cannot list --packages '" + o.packages.string() + "': " + ec.message());
  std::sort(files.begin(), files.end());
  const std::size_t wanted = o.devices == 0 ? files.size() : o.devices;
  if (wanted == 0) return core::Error::usage("--packages '" + o.packages.string() + "' holds no *.json package");
  if (files.size() < wanted)
    return core::Error::usage("--devices " + std::to_string(wanted) + " but --packages '" +
                              o.packages.string() + "' holds only " + std::to_string(files.size()) +
                              " packages");
  files.resize(wanted);
  return files;
}

double percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  const auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
  return v[rank];
}

class Runner {
 public:
  Runner(const FleetOptions& options, std::vector<Slot> slots)
      : options_(options), slots_(std::move(slots)) {}

  void run(const std::atomic<bool>& stop) {
    const auto start = Clock::now();
    const auto end = start + options_.duration;
    {
      std::lock_guard lock(mutex_);
      // Spread the first boots over a second so N devices do not arrive in one burst.
      const auto spread = std::chrono::milliseconds(1000) / std::max<std::size_t>(slots_.size(), 1);
      for (std::size_t i = 0; i < slots_.size(); ++i) queue_.push({start + spread * i, i});
    }
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < options_.threads; ++t) workers.emplace_back([this] { work(); });
    while (!stop.load() && Clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    interrupted_ = stop.load();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers) w.join();
    elapsed_ = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }

  FleetReport report() {
    FleetReport r;
    r.elapsed = elapsed_;
    r.interrupted = interrupted_;
    std::vector<float> latencies;
    for (auto& s : slots_) {
      DeviceOutcome d;
      d.key = s.sim->key();
      d.client_id = s.sim->client_id();
      d.identity = s.sim->identity();
      d.booted = s.booted;
      d.online = s.sim->running();
      d.dropped = s.dropped;
      d.came_back = s.came_back;
      d.firmware_version = s.sim->firmware_version();
      d.rotating = s.sim->rotating();
      d.stats = s.sim->stats();
      d.http_requests = s.sim->http().requests();
      r.http_requests += d.http_requests;
      const auto& l = s.sim->http().latencies_ms();
      latencies.insert(latencies.end(), l.begin(), l.end());
      r.devices.push_back(std::move(d));
    }
    r.latency_p50_ms = percentile(latencies, 0.50);
    r.latency_p99_ms = percentile(latencies, 0.99);
    r.latency_max_ms = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
    return r;
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const Entry next = queue_.top();
      if (next.due > Clock::now()) {
        cv_.wait_until(lock, next.due);
        continue;
      }
      queue_.pop();
      lock.unlock();
      const auto due = advance(slots_[next.index]);
      lock.lock();
      if (due) {
        queue_.push({*due, next.index});
        cv_.notify_one();
      }
    }
  }

  /// Runs one step of a device; when it is due again (nullopt: never in this run).
  std::optional<Clock::time_point> advance(Slot& s) {
    auto& sim = *s.sim;
    if (!sim.running()) {
      if (!sim.boot()) {
        core::log::error("device cannot start: its stored package is incomplete",
                         {{"device", sim.key()}});
        return std::nullopt;
      }
      s.booted = true;
      s.started_at_boot = sim.rotations_started_now();
      if (s.dropped) {
        s.came_back = true;
        core::log::info("device is back online", {{"device", sim.key()}});
      }
    }
    const auto delay = sim.step();
    if (s.fails && !s.dropped && sim.rotations_started_now() > s.started_at_boot) {
      s.dropped = true;
      sim.power_off();
      core::log::info("device dropped offline mid-rotation (holding its new credential)",
                      {{"device", sim.key()}});
      if (!options_.offline_for) return std::nullopt;
      return Clock::now() + *options_.offline_for;
    }
    return Clock::now() + std::chrono::milliseconds(delay);
  }

  const FleetOptions& options_;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  bool stopping_ = false;
  bool interrupted_ = false;
  std::chrono::milliseconds elapsed_{0};
};

}  // namespace

core::Result<FleetReport> run_fleet(const FleetOptions& options, const std::atomic<bool>& stop) {
  if (auto s = validate(options); !s) return s.error();
  auto files = list_packages(options);
  if (!files) return files.error();

  curl_global_init(CURL_GLOBAL_DEFAULT);  // before any easy handle, while one thread runs
  std::mt19937 rng(options.seed);
  std::vector<Slot> slots;
  std::set<std::string> keys;
  for (const auto& file : *files) {
    auto sim = SimDevice::create(file, options, static_cast<std::uint32_t>(rng()));
    if (!sim) return sim.error();
    if (!keys.insert((*sim)->key()).second)
      return core::Error::failure("two packages in --packages are for device " + (*sim)->key());
    Slot slot;
    slot.sim = std::move(*sim);
    slots.push_back(std::move(slot));
  }
  // The devices that drop: a fixed share, chosen by --seed.
  std::vector<std::size_t> order(slots.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const auto failing = static_cast<std::size_t>(options.fail_rate * static_cast<double>(slots.size()) + 0.5);
  for (std::size_t i = 0; i < failing && i < order.size(); ++i) slots[order[i]].fails = true;

  core::log::info("simulating devices", {{"devices", slots.size()},
                                         {"dropping_mid_rotation", failing},
                                         {"threads", options.threads}});
  Runner runner(options, std::move(slots));
  runner.run(stop);
  return runner.report();
}

}  // namespace iotfleet::devsim
