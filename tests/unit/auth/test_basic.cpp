#include "auth/basic.hpp"

#include <gtest/gtest.h>

#include "support/auth_printers.hpp"

#include "core/encoding.hpp"

namespace iotfleet::auth {
namespace {

std::string b64(std::string_view s) { return core::base64_encode(core::as_bytes(s)); }

TEST(ParseBasic, SplitsKeyAndSecretAtTheFirstColon) {
  const auto c = parse_basic(b64("k3x9a2b1:se:cr:et"));
  ASSERT_TRUE(c) << c.rejection().message;
  EXPECT_EQ(c->device_key, "k3x9a2b1");
  EXPECT_EQ(c->secret, "se:cr:et");
}

TEST(ParseBasic, RejectsWhatIsNotAKeyAndASecret) {
  const std::string secret = "Zm9vYmFyYmF6cXV4cXV1eA";
  for (const std::string& bad :
       {std::string("not base64!"), b64("k3x9a2b1"), b64(":" + secret), b64("K3X9A2B1:" + secret),
        b64("k3x9a2b1:"), b64("k3x9a2b1:" + secret + "\n"), b64("k3x9a2b1:sec ret"),
        b64("k3x9a2b1:\xc3\xa9"), std::string(kMaxBasicBytes + 4, 'A')}) {
    const auto r = parse_basic(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.rejection().reason, Reason::malformed_basic);
    EXPECT_EQ(r.rejection().message.find(secret), std::string::npos);
  }
}

}  // namespace
}  // namespace iotfleet::auth
