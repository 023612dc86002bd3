// lib/seal/hybrid: the controller's ciphertexts open; what we seal opens under its label only.
#include "seal/hybrid.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include "seal_fixtures.hpp"

namespace iotfleet::seal {
namespace {

using seal_test::controller_cert;
using seal_test::controller_keys;
using seal_test::fixture;

struct Item {
  Scope scope;
  std::string label;
  core::Bytes plaintext;
  core::Bytes ciphertext;
};

std::vector<Item> fixture_items() {
  std::vector<Item> items;
  for (const auto& j : nlohmann::json::parse(fixture("sealed-values.json")))
    items.push_back({parse_scope(j.at("scope").get<std::string>()).value(), j.at("label"),
                     *core::base64_decode(j.at("plaintext_b64").get<std::string>()),
                     *core::base64_decode(j.at("ciphertext_b64").get<std::string>())});
  return items;
}

TEST(Labels, FollowTheScope) {
  EXPECT_EQ(encryption_label(Scope::strict, "os2iot-backend", "ca-keys"), "os2iot-backend/ca-keys");
  EXPECT_EQ(encryption_label(Scope::namespace_wide, "os2iot-backend", "ca-keys"), "os2iot-backend");
  EXPECT_EQ(encryption_label(Scope::cluster_wide, "os2iot-backend", "ca-keys"), "");
  // The fixture's labels were written by the controller's EncryptionLabel.
  for (const auto& item : fixture_items())
    EXPECT_EQ(encryption_label(item.scope, "os2iot-backend", "ca-keys"), item.label);
}

TEST(Scopes, ParseAndName) {
  EXPECT_EQ(parse_scope("namespace-wide").value(), Scope::namespace_wide);
  EXPECT_EQ(std::string(scope_name(Scope::cluster_wide)), "cluster-wide");
  auto bad = parse_scope("cluster");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, core::ErrorKind::usage);
  EXPECT_NE(bad.error().message.find("strict, namespace-wide, cluster-wide"), std::string::npos);
}

TEST(HybridDecrypt, OpensAllFifteenControllerCiphertexts) {
  const auto keys = controller_keys();
  const auto items = fixture_items();
  ASSERT_EQ(items.size(), 15u);
  for (const auto& item : items) {
    const auto plain = hybrid_decrypt(keys, item.ciphertext, item.label);
    ASSERT_TRUE(plain) << "label '" << item.label << "'";
    EXPECT_EQ(*plain, item.plaintext);
    EXPECT_EQ(item.ciphertext.size(), 2 + 512 + item.plaintext.size() + 16);
  }
}

TEST(HybridDecrypt, RefusesEveryOtherLabel) {
  const auto keys = controller_keys();
  const std::vector<std::string> labels{"os2iot-backend/ca-keys", "os2iot-backend", "",
                                        "other/ca-keys", "os2iot-backend/ca-key"};
  for (const auto& item : fixture_items())
    for (const auto& label : labels)
      if (label != item.label) {
        EXPECT_FALSE(hybrid_decrypt(keys, item.ciphertext, label)) << label;
      }
}

TEST(HybridDecrypt, RefusesDamagedOrTruncatedCiphertext) {
  const auto keys = controller_keys();
  auto item = fixture_items().front();
  auto flipped = item.ciphertext;
  flipped.back() ^= 0x01;  // the GCM tag
  EXPECT_FALSE(hybrid_decrypt(keys, flipped, item.label));
  auto rsa_flipped = item.ciphertext;
  rsa_flipped[100] ^= 0x80;
  EXPECT_FALSE(hybrid_decrypt(keys, rsa_flipped, item.label));
  EXPECT_FALSE(hybrid_decrypt(
      keys, core::Bytes(item.ciphertext.begin(), item.ciphertext.begin() + 300), item.label));
  EXPECT_FALSE(hybrid_decrypt(keys, core::Bytes{0x02}, item.label));
  EXPECT_FALSE(hybrid_decrypt(keys, core::Bytes{}, item.label));
}

TEST(HybridEncrypt, RoundTripsInEveryScopeAndOnlyUnderItsLabel) {
  const auto cert = controller_cert();
  const auto keys = controller_keys();
  const std::vector<std::string> values{"", "bar", std::string(5000, 'x'),
                                        std::string("\0\x01\xff", 3)};
  for (Scope scope : {Scope::strict, Scope::namespace_wide, Scope::cluster_wide}) {
    const std::string label = encryption_label(scope, "postgres", "postgres-cluster-os2iot");
    for (const auto& v : values) {
      const auto sealed = hybrid_encrypt(cert.key, core::as_bytes(v), label);
      ASSERT_EQ(sealed.size(), 2 + 512 + v.size() + 16);
      EXPECT_EQ(sealed[0], 0x02);  // u16 big-endian 512
      EXPECT_EQ(sealed[1], 0x00);
      const auto plain = hybrid_decrypt(keys, sealed, label);
      ASSERT_TRUE(plain);
      EXPECT_EQ(seal_test::text(*plain), v);
      for (Scope other : {Scope::strict, Scope::namespace_wide, Scope::cluster_wide})
        if (other != scope) {
          EXPECT_FALSE(hybrid_decrypt(
              keys, sealed, encryption_label(other, "postgres", "postgres-cluster-os2iot")));
        }
      EXPECT_FALSE(hybrid_decrypt(keys, sealed, label + "x"));
    }
  }
}

TEST(HybridEncrypt, IsRandomisedPerValue) {
  const auto cert = controller_cert();
  const auto a = hybrid_encrypt(cert.key, core::as_bytes("same"), "ns/name");
  const auto b = hybrid_encrypt(cert.key, core::as_bytes("same"), "ns/name");
  EXPECT_NE(a, b);
}

TEST(HybridDecrypt, TriesEachKey) {
  const auto cert = controller_cert();
  // A second, unrelated key first: the controller's key must still be found.
  EVP_PKEY* other = EVP_RSA_gen(2048);
  ASSERT_NE(other, nullptr);
  std::vector<RsaKey> keys{RsaKey(other), controller_keys().front()};
  const auto sealed = hybrid_encrypt(cert.key, core::as_bytes("v"), "a/b");
  EXPECT_TRUE(hybrid_decrypt(keys, sealed, "a/b"));
  EXPECT_FALSE(hybrid_decrypt(std::span(keys).first(1), sealed, "a/b"));
}

}  // namespace
}  // namespace iotfleet::seal
