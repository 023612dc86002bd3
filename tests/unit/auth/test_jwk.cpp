#include "auth/jwk.hpp"

#include <gtest/gtest.h>

#include "auth/jwt.hpp"
#include "support/token_factory.hpp"

namespace iotfleet::auth {
namespace {

using test_support::make_key;
using test_support::sign_token;

class EachAlgorithm : public ::testing::TestWithParam<std::string> {};

TEST_P(EachAlgorithm, VerifiesItsOwnSignatureAndNothingElse) {
  const std::string alg = GetParam();
  const auto key = make_key(alg, "k-" + alg);
  const auto set = parse_jwks(test_support::jwks_of({&key}));
  ASSERT_TRUE(set);
  const Jwk* jwk = set->find("k-" + alg);
  ASSERT_NE(jwk, nullptr);
  EXPECT_TRUE(jwk->usable_for(alg));

  const std::string token = sign_token(key, {{"sub", "x"}});
  const auto jws = parse_jws(token);
  ASSERT_TRUE(jws);
  EXPECT_TRUE(verify_signature(alg, *jwk, jws->signing_input, jws->signature));

  // Other bytes under the same signature.
  const std::string other = std::string(jws->signing_input) + "x";
  EXPECT_FALSE(verify_signature(alg, *jwk, other, jws->signature));
  // A flipped bit in the signature, a truncated one, an empty one.
  auto flipped = jws->signature;
  flipped[flipped.size() / 2] ^= 0x01;
  EXPECT_FALSE(verify_signature(alg, *jwk, jws->signing_input, flipped));
  EXPECT_FALSE(verify_signature(alg, *jwk, jws->signing_input,
                                std::span(jws->signature).first(jws->signature.size() - 1)));
  EXPECT_FALSE(verify_signature(alg, *jwk, jws->signing_input, {}));
}

INSTANTIATE_TEST_SUITE_P(All, EachAlgorithm,
                         ::testing::Values("RS256", "RS384", "RS512", "PS256", "ES256", "ES384"));

TEST(Jwk, AKeyIsOnlyUsableForItsTypeCurveAndAlg) {
  const auto rsa = make_key("RS256", "r"), ec = make_key("ES256", "e");
  auto set = parse_jwks(test_support::jwks_of({&rsa, &ec})).take();
  EXPECT_FALSE(set.find("r")->usable_for("RS384")) << "its own alg is RS256";
  EXPECT_FALSE(set.find("r")->usable_for("ES256"));
  EXPECT_FALSE(set.find("e")->usable_for("ES384"));
  EXPECT_FALSE(set.find("e")->usable_for("HS256"));
  EXPECT_FALSE(set.find("e")->usable_for("none"));
  // PS256 over an RS256 key's signature: wrong padding, must fail.
  const auto token = sign_token(rsa, {{"a", 1}});
  const auto jws = parse_jws(token);
  Jwk any_alg = *set.find("r");
  any_alg.alg.clear();
  EXPECT_TRUE(verify_signature("RS256", any_alg, jws->signing_input, jws->signature));
  EXPECT_FALSE(verify_signature("PS256", any_alg, jws->signing_input, jws->signature));
}

TEST(ParseJwks, SkipsKeysItMustNotUse) {
  const auto good = make_key("RS256", "good");
  auto doc = nlohmann::json::parse(test_support::jwks_of({&good}));
  auto enc = good.jwk();
  enc["kid"] = "enc";
  enc["use"] = "enc";
  enc["alg"] = "RSA-OAEP";
  doc["keys"].push_back(enc);
  doc["keys"].push_back({{"kid", "oct"}, {"kty", "oct"}, {"k", "c2VjcmV0"}, {"alg", "HS256"}});
  auto weak = good.jwk();
  weak["kid"] = "weak";
  weak["n"] = "AQAB";  // a tiny modulus
  doc["keys"].push_back(weak);
  auto nokid = good.jwk();
  nokid.erase("kid");
  doc["keys"].push_back(nokid);
  auto off_curve = make_key("ES256", "off").jwk();
  off_curve["y"] = off_curve["x"];
  doc["keys"].push_back(off_curve);
  doc["keys"].push_back({{"kid", 7}, {"kty", 1}});  // odd types: skipped, no exception
  doc["keys"].push_back("not an object");
  const auto set = parse_jwks(doc.dump());
  ASSERT_TRUE(set);
  EXPECT_EQ(set->keys.size(), 1u);
  EXPECT_NE(set->find("good"), nullptr);
}

TEST(ParseJwks, DuplicateKidsAreDroppedBoth) {
  const auto a = make_key("RS256", "same"), b = make_key("RS256", "same");
  EXPECT_EQ(parse_jwks(test_support::jwks_of({&a, &b}))->keys.size(), 0u);
}

TEST(ParseJwks, ANonJwksIsAnError) {
  EXPECT_FALSE(parse_jwks("[]"));
  EXPECT_FALSE(parse_jwks("{}"));
  EXPECT_FALSE(parse_jwks("{\"keys\": 1}"));
  EXPECT_FALSE(parse_jwks("garbage"));
}

}  // namespace
}  // namespace iotfleet::auth
