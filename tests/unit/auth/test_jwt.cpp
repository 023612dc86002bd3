#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include "support/auth_printers.hpp"

#include "support/token_factory.hpp"

namespace iotfleet::auth {
namespace {

using test_support::b64_json;

const std::string kHeader = b64_json({{"alg", "RS256"}, {"kid", "k1"}});
const std::string kClaims = b64_json({{"iss", "x"}});

TEST(ParseJws, AcceptsAWellFormedToken) {
  const std::string token = kHeader + "." + kClaims + ".c2ln";
  const auto jws = parse_jws(token);
  ASSERT_TRUE(jws) << jws.rejection().message;
  EXPECT_EQ(jws->alg, "RS256");
  EXPECT_EQ(jws->kid, "k1");
  EXPECT_EQ(jws->claims["iss"], "x");
  EXPECT_EQ(jws->signing_input, kHeader + "." + kClaims);
  EXPECT_EQ(jws->signature, (core::Bytes{'s', 'i', 'g'}));
}

struct Bad {
  const char* name;
  std::string token;
};

class ParseJwsRejects : public ::testing::TestWithParam<Bad> {};

TEST_P(ParseJwsRejects, WithMalformedToken) {
  const auto r = parse_jws(GetParam().token);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.rejection().reason, Reason::malformed_token) << r.rejection().message;
  // The message never repeats the token.
  if (GetParam().token.size() > 8) {
    EXPECT_EQ(r.rejection().message.find(GetParam().token), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseJwsRejects,
    ::testing::Values(
        Bad{"empty", ""}, Bad{"one_segment", kHeader}, Bad{"two_segments", kHeader + "." + kClaims},
        Bad{"four_segments", kHeader + "." + kClaims + ".c2ln.c2ln"},
        Bad{"truncated_in_payload", kHeader + "." + kClaims.substr(0, kClaims.size() / 2)},
        Bad{"empty_header", "." + kClaims + ".c2ln"}, Bad{"empty_payload", kHeader + "..c2ln"},
        Bad{"padding", kHeader + "=." + kClaims + ".c2ln"},
        Bad{"standard_alphabet", kHeader + "." + kClaims + ".c2+/"},
        Bad{"whitespace", kHeader + " ." + kClaims + ".c2ln"},
        Bad{"non_canonical_bits", kHeader + "." + kClaims + ".c2l"},
        Bad{"non_utf8_bytes", kHeader + "." + kClaims + ".\xff\xfe"},
        Bad{"header_not_json", "bm90IGpzb24." + kClaims + ".c2ln"},
        Bad{"header_array", b64_json(nlohmann::json::array({1})) + "." + kClaims + ".c2ln"},
        Bad{"payload_string", kHeader + "." + b64_json("x") + ".c2ln"},
        Bad{"payload_not_utf8",
            kHeader + "." + core::base64url_encode(core::as_bytes("{\"iss\":\"\xc3\x28\"}")) +
                ".c2ln"},
        Bad{"duplicate_claim",
            kHeader + "." + core::base64url_encode(core::as_bytes(R"({"aud":"a","aud":"b"})")) +
                ".c2ln"},
        Bad{"duplicate_nested",
            kHeader + "." + core::base64url_encode(core::as_bytes(R"({"x":{"a":1,"a":2}})")) +
                ".c2ln"},
        Bad{"trailing_json",
            kHeader + "." + core::base64url_encode(core::as_bytes(R"({"a":1} {})")) + ".c2ln"},
        Bad{"no_alg", b64_json({{"kid", "k1"}}) + "." + kClaims + ".c2ln"},
        Bad{"alg_not_string", b64_json({{"alg", 256}}) + "." + kClaims + ".c2ln"},
        Bad{"kid_not_string", b64_json({{"alg", "RS256"}, {"kid", 1}}) + "." + kClaims + ".c2ln"},
        Bad{"crit", b64_json({{"alg", "RS256"}, {"crit", {"exp"}}}) + "." + kClaims + ".c2ln"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(ParseJws, OversizedTokensAreRefusedUnparsed) {
  const std::string big = kHeader + "." + std::string(kMaxTokenBytes, 'A') + ".c2ln";
  const auto r = parse_jws(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.rejection().reason, Reason::token_too_large);
}

TEST(StrictJson, RejectsDuplicatesAndInvalidUtf8ButNotNesting) {
  EXPECT_TRUE(parse_strict_json(R"({"a":1,"a":1})").is_discarded());
  EXPECT_TRUE(parse_strict_json(R"({"a":{"b":1},"c":{"b":2}})").is_object());
  EXPECT_TRUE(parse_strict_json("{\"a\":\"\xed\xa0\x80\"}").is_discarded());  // a UTF-16 surrogate
  EXPECT_TRUE(parse_strict_json("").is_discarded());
}

TEST(StringMember, NeverThrowsOnOddTypes) {
  const auto j = nlohmann::json::parse(R"({"a":"x","b":1,"c":null})");
  EXPECT_EQ(string_member(j, "a"), "x");
  EXPECT_EQ(string_member(j, "b"), "");
  EXPECT_EQ(string_member(j, "c"), "");
  EXPECT_EQ(string_member(j, "missing"), "");
  EXPECT_EQ(string_member(nlohmann::json::array(), "a"), "");
}

}  // namespace
}  // namespace iotfleet::auth
