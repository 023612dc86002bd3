// Firmware updates: metadata, chunked Range downloads, resume, restart on 200, integrity.

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace device_core_test {
namespace {

std::vector<std::uint8_t> image(std::size_t size) {
  std::vector<std::uint8_t> out(size);
  std::uint32_t x = 12345;
  for (auto& b : out) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  return out;
}

std::uint32_t errors(const Device& d, ErrorKind kind) {
  return d.stats().errors[static_cast<int>(kind)];
}

std::vector<Seen> downloads(const Rig& rig) {
  std::vector<Seen> out;
  for (const auto& s : rig.cloud.seen)
    if (s.path == "/iot/firmware") out.push_back(s);
  return out;
}

class DeviceCoreFirmware : public ::testing::Test {
 protected:
  void SetUp() override {
    rig.provision();
    rig.storage.values.erase("prov/mqtt_url");  // network errors below are HTTP ones
    rig.storage.set("state", "fw_version", "1.0.0");
  }
  bool updated() {
    return rig.run_until([&] { return rig.device->stats().updates_applied == 1; }, 100);
  }
  Rig rig;
};

TEST_F(DeviceCoreFirmware, NothingUploadedOrTheSameVersionDownloadsNothing) {
  ASSERT_TRUE(rig.start());
  rig.run_for(1'000);
  EXPECT_EQ(rig.cloud.count("/iot/firmware-version"), 1);
  rig.cloud.upload_firmware("1.0.0", image(5000));
  rig.run_for(rig.tunables.firmware_check_ms);
  EXPECT_EQ(rig.cloud.count("/iot/firmware-version"), 2);
  EXPECT_EQ(rig.cloud.count("/iot/firmware"), 0);
  EXPECT_EQ(rig.device->stats().errors[static_cast<int>(ErrorKind::bad_response)], 0u);
}

TEST_F(DeviceCoreFirmware, DownloadsInChunksVerifiesAndRestarts) {
  const auto img = image(10'000);
  rig.cloud.upload_firmware("1.1.0", img);
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(updated());
  EXPECT_EQ(rig.slot.image, img);
  EXPECT_TRUE(rig.slot.finished);
  ASSERT_EQ(rig.slot.restarts.size(), 1u);
  EXPECT_EQ(rig.slot.restarts[0], "1.1.0");
  EXPECT_EQ(rig.device->firmware_version(), "1.1.0");
  EXPECT_EQ(rig.storage.get("state", "fw_version"), "1.1.0");
  const auto d = downloads(rig);
  ASSERT_EQ(d.size(), 3u);  // 4096 + 4096 + 1808
  EXPECT_EQ(d[0].range_from, 0u);
  EXPECT_EQ(d[0].if_range, "");
  EXPECT_EQ(d[1].range_from, 4096u);
  EXPECT_EQ(d[1].if_range, "\"" + rig.cloud.firmware_sha + "\"");
  EXPECT_EQ(d[2].range_from, 8192u);
  // The next check finds the running version: no second download.
  rig.run_for(rig.tunables.firmware_check_ms + 1);
  EXPECT_EQ(downloads(rig).size(), 3u);
}

TEST_F(DeviceCoreFirmware, ADroppedConnectionResumesFromTheLastByteWritten) {
  const auto img = image(10'000);
  rig.cloud.upload_firmware("1.1.0", img);
  Fault drop;
  drop.path = "/iot/firmware";
  drop.cut_after = 1500;
  rig.cloud.faults.push_back(drop);  // the first request
  drop.cut_after = 700;
  rig.cloud.faults.push_back(drop);  // the second
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(updated());
  EXPECT_EQ(rig.slot.image, img);
  EXPECT_EQ(errors(*rig.device, ErrorKind::network), 2u);
  const auto d = downloads(rig);
  ASSERT_GE(d.size(), 3u);
  EXPECT_EQ(d[1].range_from, 1500u);
  EXPECT_EQ(d[2].range_from, 2200u);
  EXPECT_EQ(rig.slot.begins, 1);
}

TEST_F(DeviceCoreFirmware, A200InsteadOf206StartsAgainFromByteZero) {
  const auto img = image(10'000);
  rig.cloud.upload_firmware("1.1.0", img);
  Fault drop;
  drop.path = "/iot/firmware";
  drop.cut_after = 3000;
  rig.cloud.faults.push_back(drop);
  Fault whole;
  whole.path = "/iot/firmware";
  whole.ignore_range = true;
  rig.cloud.faults.push_back(whole);
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(updated());
  EXPECT_EQ(rig.slot.image, img);
  EXPECT_EQ(errors(*rig.device, ErrorKind::firmware_integrity), 0u);
  // The resume was answered with the whole image: written from byte 0 on the spot, to the end.
  const auto d = downloads(rig);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].range_from, 3000u);
  EXPECT_EQ(rig.slot.begins, 1);
}

TEST_F(DeviceCoreFirmware, A200InsteadOf206FromALateStatusAdapterRestartsWhole) {
  rig.cloud.late_status = true;
  const auto img = image(10'000);
  rig.cloud.upload_firmware("1.1.0", img);
  Fault first;  // the first request (from 0) is answered normally
  first.path = "/iot/firmware";
  Fault whole = first;
  whole.ignore_range = true;
  rig.cloud.faults.push_back(first);
  rig.cloud.faults.push_back(whole);
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(updated());
  EXPECT_EQ(rig.slot.image, img);
  const auto d = downloads(rig);
  ASSERT_EQ(d.size(), 3u);  // 0-4095; a 200 (written at 4096, then discarded); all from 0
  EXPECT_EQ(d[1].range_from, 4096u);
  EXPECT_EQ(d[2].range_from, 0u);
}

TEST_F(DeviceCoreFirmware, AShaMismatchIsRejectedWhateverTheAdapter) {
  rig.cloud.late_status = true;
  rig.cloud.upload_firmware("1.1.0", image(9'000));
  rig.cloud.firmware_sha = std::string(64, 'b');  // so If-Range never matches either
  ASSERT_TRUE(rig.start());
  rig.run_for(10'000);
  EXPECT_EQ(errors(*rig.device, ErrorKind::firmware_integrity), 1u);
  EXPECT_LE(downloads(rig).size(), 4u);
  EXPECT_TRUE(rig.slot.restarts.empty());
}

TEST_F(DeviceCoreFirmware, AShaMismatchIsRejected) {
  rig.cloud.upload_firmware("1.1.0", image(6'000));
  rig.cloud.firmware_sha = std::string(64, 'a');  // the metadata lies
  ASSERT_TRUE(rig.start());
  rig.run_for(10'000);
  EXPECT_EQ(errors(*rig.device, ErrorKind::firmware_integrity), 1u);
  EXPECT_EQ(rig.device->stats().updates_applied, 0u);
  EXPECT_FALSE(rig.slot.finished);
  EXPECT_TRUE(rig.slot.restarts.empty());
  EXPECT_GE(rig.slot.aborts, 1);
  EXPECT_EQ(rig.device->firmware_version(), "1.0.0");
  EXPECT_EQ(rig.storage.get("state", "fw_version"), "1.0.0");
  // Not retried in a loop: only at the next check.
  const auto n = downloads(rig).size();
  rig.run_for(rig.tunables.firmware_check_ms - 20'000);
  EXPECT_EQ(downloads(rig).size(), n);
}

TEST_F(DeviceCoreFirmware, ASizeMismatchIsRejected) {
  rig.cloud.upload_firmware("1.1.0", image(6'000));
  rig.cloud.firmware_size = 5'000;  // the metadata says less than is served
  ASSERT_TRUE(rig.start());
  rig.run_for(10'000);
  EXPECT_EQ(errors(*rig.device, ErrorKind::firmware_integrity), 1u);
  EXPECT_EQ(rig.device->stats().updates_applied, 0u);
  EXPECT_TRUE(rig.slot.restarts.empty());
}

TEST_F(DeviceCoreFirmware, DownloadsWithABearerTokenToo) {
  Rig kc(true);
  kc.mqtt.reachable = false;
  kc.provision();
  const auto img = image(9'000);
  kc.cloud.upload_firmware("2.0.0", img);
  ASSERT_TRUE(kc.start());
  ASSERT_TRUE(kc.run_until([&] { return kc.device->stats().updates_applied == 1; }, 100));
  EXPECT_EQ(kc.slot.image, img);
  EXPECT_EQ(kc.device->stats().tokens_fetched, 1u);
}

}  // namespace
}  // namespace device_core_test
