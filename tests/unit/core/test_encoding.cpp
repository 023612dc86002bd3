#include "core/encoding.hpp"

#include <gtest/gtest.h>

namespace iotfleet::core {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(as_bytes(plain)), encoded);
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
}

TEST(Base64, RejectsInvalidInput) {
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm9v!A=="));
  EXPECT_FALSE(base64_decode("Zg=a"));
  EXPECT_FALSE(base64_decode("Z==="));
  EXPECT_FALSE(base64_decode("Zm 9v"));
}

TEST(Base64Url, NoPaddingAndUrlAlphabet) {
  const Bytes data = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64_encode(data), "+/+/");
  EXPECT_EQ(base64url_encode(data), "-_-_");
  EXPECT_EQ(base64url_encode(as_bytes("f")), "Zg");
  EXPECT_EQ(base64url_decode("-_-_").value(), data);
  EXPECT_FALSE(base64url_decode("+/+/"));
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Z"));
}

TEST(Hex, RoundTripAndRejects) {
  const Bytes data = {0x00, 0xab, 0xff};
  EXPECT_EQ(hex_encode(data), "00abff");
  EXPECT_EQ(hex_decode("00ABff").value(), data);
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abcd")));
  EXPECT_TRUE(constant_time_equal(as_bytes(""), as_bytes("")));
}

}  // namespace
}  // namespace iotfleet::core
