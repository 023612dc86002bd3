// The core allocates nothing: this binary replaces the global operator new and counts the
// allocations made while the device runs (the fakes behind the ports pause the count).

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "fakes.hpp"

namespace {

bool counting = false;
int paused = 0;
long allocations = 0;

struct Pause {
  Pause() { ++paused; }
  ~Pause() { --paused; }
};

}  // namespace

// GCC sees malloc'd memory reach free() through the inlined pair and calls it a mismatch: here
// that pairing is the point.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
  if (counting && paused == 0) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace device_core_test {
namespace {

// Forwarding ports: the fakes allocate (they record what they see), the core must not.
struct PausingHttp final : Http {
  explicit PausingHttp(Http& inner) : inner_(inner) {}
  NetResult perform(const HttpRequest& q, HttpResponse& r, BodySink& b) override {
    Pause p;
    return inner_.perform(q, r, b);
  }
  Http& inner_;
};

struct PausingMqtt final : Mqtt {
  explicit PausingMqtt(Mqtt& inner) : inner_(inner) {}
  NetResult connect(const Options& o) override {
    Pause p;
    return inner_.connect(o);
  }
  bool connected() override { return inner_.connected(); }
  NetResult subscribe(std::string_view t) override {
    Pause p;
    return inner_.subscribe(t);
  }
  void poll(MqttListener& l) override {
    Pause p;
    inner_.poll(l);
  }
  void disconnect() override { inner_.disconnect(); }
  Mqtt& inner_;
};

struct PausingStorage final : Storage {
  explicit PausingStorage(Storage& inner) : inner_(inner) {}
  int read(std::string_view ns, std::string_view k, char* out, std::size_t cap) override {
    Pause p;
    return inner_.read(ns, k, out, cap);
  }
  bool write(std::string_view ns, std::string_view k, std::string_view v) override {
    Pause p;
    return inner_.write(ns, k, v);
  }
  bool erase(std::string_view ns, std::string_view k) override {
    Pause p;
    return inner_.erase(ns, k);
  }
  Storage& inner_;
};

struct PausingSlot final : FirmwareSlot {
  explicit PausingSlot(FirmwareSlot& inner) : inner_(inner) {}
  bool begin(std::uint32_t n) override {
    Pause p;
    return inner_.begin(n);
  }
  bool write(std::uint32_t o, const std::uint8_t* d, std::size_t n) override {
    return inner_.write(o, d, n);
  }
  bool finish() override { return inner_.finish(); }
  void abort() override { inner_.abort(); }
  void restart(std::string_view v) override {
    Pause p;
    inner_.restart(v);
  }
  FirmwareSlot& inner_;
};

long allocations_while(Rig& rig, std::uint64_t ms) {
  PausingHttp http(rig.cloud);
  PausingMqtt mqtt(rig.mqtt);
  PausingStorage storage(rig.storage);
  PausingSlot slot(rig.slot);
  const Ports ports{http, mqtt, storage, rig.clock, rig.random, rig.sha, slot};
  Device device(ports, rig.tunables);
  EXPECT_TRUE(device.begin());
  for (int i = 0; i < 20; ++i) rig.clock.now += device.step();  // warm-up (gtest, fakes)
  allocations = 0;
  counting = true;
  const std::uint64_t until = rig.clock.now + ms;
  while (rig.clock.now < until) {
    if (rig.cloud.rotation_pending == false && rig.clock.now > until - ms / 2 &&
        rig.cloud.rotations_completed == 0 && rig.cloud.token_url.empty() == false) {
      Pause p;
      rig.cloud.start_rotation();
    }
    rig.clock.now += device.step();
  }
  counting = false;
  EXPECT_GT(device.stats().configs_unchanged, 10u);
  return allocations;
}

TEST(DeviceCoreAllocations, TheCounterCounts) {
  allocations = 0;
  counting = true;
  void* p = ::operator new(16);  // an explicit call: not elided like a new-expression may be
  counting = false;
  ::operator delete(p);
  EXPECT_EQ(allocations, 1);
}

TEST(DeviceCoreAllocations, NoneInSteadyStateLocal) {
  Rig rig;
  rig.provision();
  {
    Pause p;
    rig.cloud.upload_firmware("1.0.0", std::vector<std::uint8_t>(3000, 7));
  }
  EXPECT_EQ(allocations_while(rig, 60 * 60'000), 0);
}

TEST(DeviceCoreAllocations, NoneWithTokensRotationAndAnUpdate) {
  Rig rig(true);
  rig.provision();
  {
    Pause p;
    rig.cloud.upload_firmware("2.0.0", std::vector<std::uint8_t>(20'000, 9));
  }
  EXPECT_EQ(allocations_while(rig, 60 * 60'000), 0);
  EXPECT_EQ(rig.cloud.rotations_completed, 1);
  EXPECT_EQ(rig.slot.restarts.size(), 1u);
}

}  // namespace
}  // namespace device_core_test
