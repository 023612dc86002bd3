#include "core/device_key.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace iotfleet::core {
namespace {

// A deterministic source that replays a byte pattern, to test the sampling itself.
class ReplayRandom final : public RandomSource {
 public:
  explicit ReplayRandom(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = bytes_[pos_++ % bytes_.size()];
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

TEST(DeviceKey, HasEightCharactersFromTheAlphabet) {
  for (int i = 0; i < 1000; ++i) {
    const std::string key = generate_device_key();
    ASSERT_EQ(key.size(), 8u);
    EXPECT_TRUE(is_valid_device_key(key)) << key;
  }
}

TEST(DeviceKey, KeysDoNotRepeatInPractice) {
  std::set<std::string> keys;
  for (int i = 0; i < 20000; ++i) keys.insert(generate_device_key());
  EXPECT_EQ(keys.size(), 20000u);  // 36^8 = 2.8e12: a collision here means a broken generator
}

TEST(DeviceKey, EveryCharacterOfTheAlphabetAppears) {
  std::array<int, 256> seen{};
  for (int i = 0; i < 2000; ++i)
    for (char c : generate_device_key()) ++seen[static_cast<unsigned char>(c)];
  for (char c : kDeviceKeyAlphabet) EXPECT_GT(seen[static_cast<unsigned char>(c)], 0) << c;
}

TEST(DeviceKey, RejectionSamplingSkipsBiasedBytes) {
  // 252 is the first byte value above the largest multiple of 36 below 256: it must be skipped.
  ReplayRandom rng({252, 253, 254, 255, 0, 1, 35, 36, 71, 72, 251, 10});
  EXPECT_EQ(generate_device_key(rng), "ab9a9a9k");
}

TEST(DeviceKey, Validation) {
  EXPECT_TRUE(is_valid_device_key("k3x9a2b1"));
  EXPECT_FALSE(is_valid_device_key("K3x9a2b1"));
  EXPECT_FALSE(is_valid_device_key("k3x9a2b"));
  EXPECT_FALSE(is_valid_device_key("k3x9a2b12"));
  EXPECT_FALSE(is_valid_device_key("k3x9-2b1"));
  EXPECT_FALSE(is_valid_device_key(""));
}

TEST(ModelCode, Validation) {
  EXPECT_TRUE(is_valid_model_code("env_sensor"));
  EXPECT_TRUE(is_valid_model_code(std::string(50, 'a')));
  EXPECT_FALSE(is_valid_model_code(std::string(51, 'a')));
  EXPECT_FALSE(is_valid_model_code(""));
  EXPECT_FALSE(is_valid_model_code("Env"));
  EXPECT_FALSE(is_valid_model_code("env-sensor"));
}

}  // namespace
}  // namespace iotfleet::core
