// The core's small codecs: flat JSON fields, Base64, form encoding, back-off.

#include <gtest/gtest.h>

#include <string>

#include "encoding.hpp"
#include "fakes.hpp"
#include "json.hpp"
#include "text.hpp"

namespace device_core_test {
namespace {

using namespace iot_device::detail;

std::string field(std::string_view json_text, std::string_view key, std::size_t cap = 64) {
  std::string out(cap, '\0');
  const int n = json_string(json_text, key, out.data(), cap);
  return n < 0 ? "<none>" : out.substr(0, static_cast<std::size_t>(n));
}

TEST(DeviceCoreJson, ReadsTopLevelStringsAndNumbers) {
  const std::string_view doc =
      R"( { "nested": {"access_token": "no", "a": [1, {"b": "]"}]}, "list": ["x", 2, true],
            "access_token" : "eyJ\"q\u00e9\/", "expires_in": 300, "neg": -1, "f": 1.5,
            "null": null, "emoji": "\ud83d\ude00" } )";
  EXPECT_EQ(field(doc, "access_token"), "eyJ\"q\xC3\xA9/");
  EXPECT_EQ(field(doc, "emoji"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(field(doc, "missing"), "<none>");
  EXPECT_EQ(field(doc, "expires_in"), "<none>");       // not a string
  EXPECT_EQ(field(doc, "access_token", 4), "<none>");  // does not fit
  std::uint32_t v = 0;
  EXPECT_TRUE(json_uint(doc, "expires_in", v));
  EXPECT_EQ(v, 300u);
  EXPECT_FALSE(json_uint(doc, "neg", v));
  EXPECT_FALSE(json_uint(doc, "f", v));
  EXPECT_FALSE(json_uint(doc, "null", v));
  EXPECT_FALSE(json_uint(R"({"n": 4294967296})", "n", v));
}

TEST(DeviceCoreJson, MalformedInputFindsNothing) {
  for (const char* bad : {"", "[]", "{", R"({"a" "x"})", R"({"a": "x)", R"({"a":"\q"})",
                          R"({"b": [1, 2, "a": "x"})", "not json"}) {
    EXPECT_EQ(field(bad, "a"), "<none>") << bad;
  }
  EXPECT_EQ(field(R"({"a":"ok"} trailing)", "a"), "ok");
}

TEST(DeviceCoreEncoding, Base64FormAndHex) {
  const auto b64 = [](std::string_view in) {
    char buf[64];
    TextBuilder out(buf, sizeof buf);
    base64_encode(in, out);
    return std::string(out.view());
  };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(b64("k3x9a2b1:s\xff"), "azN4OWEyYjE6c/8=");

  char buf[64];
  TextBuilder form(buf, sizeof buf);
  form_encode("a b&c=d+e/~é", form);
  EXPECT_EQ(form.view(), "a+b%26c%3Dd%2Be%2F%7E%C3%A9");

  TextBuilder small(buf, 4);
  small.append("abc").append("d");
  EXPECT_FALSE(small.ok());
  EXPECT_EQ(small.view(), "abc");
  TextBuilder num(buf, sizeof buf);
  num.append_uint(0).append(' ').append_uint(4294967295u);
  EXPECT_EQ(num.view(), "0 4294967295");

  const std::uint8_t digest[3] = {0x00, 0xab, 0xff};
  TextBuilder hex(buf, sizeof buf);
  hex_encode(digest, 3, hex);
  EXPECT_EQ(hex.view(), "00abff");
  EXPECT_TRUE(equal_ignoring_case("00ABff", "00abFF"));
  EXPECT_FALSE(equal_ignoring_case("00ab", "00ac"));
}

TEST(DeviceCoreBackoff, GrowsDoublingUpToTheCapWithFullJitter) {
  FakeRandom random;
  iot_device::Backoff backoff(1'000, 60'000);
  random.value = 0xFFFFFFFFu;
  const std::uint32_t expected[] = {1'000, 2'000, 4'000, 8'000, 16'000, 32'000, 60'000, 60'000};
  for (const auto e : expected) EXPECT_EQ(backoff.next(random), e);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(backoff.next(random), 60'000u);  // no overflow
  backoff.reset();
  random.value = 0;
  EXPECT_EQ(backoff.next(random), 0u);
  random.value = 0x80000000u;
  EXPECT_EQ(backoff.next(random), 1'000u);  // half of [0, 2000]
  // Every value stays within [0, ceiling].
  for (std::uint32_t r : {1u, 12345678u, 0x7FFFFFFFu, 0xFFFFFFFEu}) {
    iot_device::Backoff b(500, 10'000);
    random.value = r;
    for (int i = 0; i < 10; ++i) {
      const std::uint32_t ceiling = b.ceiling();
      EXPECT_LE(b.next(random), ceiling);
      EXPECT_LE(ceiling, 10'000u);
    }
  }
}

}  // namespace
}  // namespace device_core_test
