#include "core/secret_box.hpp"

#include <gtest/gtest.h>

namespace iotfleet::core {
namespace {

SecretBox box_of(const std::string& ring) { return SecretBox::from_keyring(ring).take(); }

TEST(SecretBox, SealsAndOpens) {
  const auto ring = SecretBox::generate_keyring_entry("k1");
  const auto box = box_of(ring);
  const std::string sealed = box.seal("hunter2-but-longer", "device:abc:secret");
  EXPECT_TRUE(sealed.starts_with("sb1:k1:"));
  EXPECT_EQ(sealed.find("hunter2"), std::string::npos);
  EXPECT_EQ(box.open(sealed, "device:abc:secret").value(), "hunter2-but-longer");
}

TEST(SecretBox, SealingTwiceGivesDifferentCiphertexts) {
  const auto box = box_of(SecretBox::generate_keyring_entry("k1"));
  EXPECT_NE(box.seal("same", "ctx"), box.seal("same", "ctx"));
}

TEST(SecretBox, EmptyPlaintextRoundTrips) {
  const auto box = box_of(SecretBox::generate_keyring_entry("k1"));
  EXPECT_EQ(box.open(box.seal("", "ctx"), "ctx").value(), "");
}

TEST(SecretBox, WrongContextFails) {
  const auto box = box_of(SecretBox::generate_keyring_entry("k1"));
  const auto sealed = box.seal("secret", "device:aaaaaaaa:secret");
  auto r = box.open(sealed, "device:bbbbbbbb:secret");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("integrity"), std::string::npos);
}

TEST(SecretBox, EveryFlippedByteIsDetected) {
  const auto box = box_of(SecretBox::generate_keyring_entry("k1"));
  const std::string sealed = box.seal("a secret value", "ctx");
  const std::string prefix = "sb1:k1:";
  auto blob = base64_decode(sealed.substr(prefix.size())).value();
  for (std::size_t i = 0; i < blob.size(); ++i) {
    auto tampered = blob;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(box.open(prefix + base64_encode(tampered), "ctx").ok()) << "byte " << i;
  }
}

TEST(SecretBox, TruncatedAndMalformedValuesFail) {
  const auto box = box_of(SecretBox::generate_keyring_entry("k1"));
  const std::string sealed = box.seal("a secret value", "ctx");
  EXPECT_FALSE(box.open(sealed.substr(0, sealed.size() - 4), "ctx").ok());
  EXPECT_FALSE(box.open("sb1:k1:", "ctx").ok());
  EXPECT_FALSE(box.open("sb1:k1:!!!!", "ctx").ok());
  EXPECT_FALSE(box.open("plain", "ctx").ok());
  EXPECT_FALSE(box.open("sb1:nokid", "ctx").ok());
}

TEST(SecretBox, KeyRotationOldKeyStillOpensNewKeySeals) {
  const auto old_entry = SecretBox::generate_keyring_entry("old");
  const auto new_entry = SecretBox::generate_keyring_entry("new");
  const auto before = box_of(old_entry);
  const std::string sealed_old = before.seal("s1", "ctx");

  const auto after = box_of(new_entry + "," + old_entry);
  EXPECT_EQ(after.open(sealed_old, "ctx").value(), "s1");
  EXPECT_TRUE(after.needs_reseal(sealed_old));
  const std::string sealed_new = after.seal("s2", "ctx");
  EXPECT_TRUE(sealed_new.starts_with("sb1:new:"));
  EXPECT_FALSE(after.needs_reseal(sealed_new));

  // Once the old key is dropped from the ring, values sealed under it no longer open.
  const auto dropped = box_of(new_entry);
  auto r = dropped.open(sealed_old, "ctx");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'old'"), std::string::npos);
}

TEST(SecretBox, SameKeyIdWithOtherMaterialFails) {
  const auto a = box_of(SecretBox::generate_keyring_entry("k1"));
  const auto b = box_of(SecretBox::generate_keyring_entry("k1"));
  EXPECT_FALSE(b.open(a.seal("x", "ctx"), "ctx").ok());
}

TEST(SecretBox, KeyringErrorsNameTheEntryButNotTheKey) {
  const std::string good = SecretBox::generate_keyring_entry("k1");
  const std::string material = good.substr(3);
  for (const std::string& ring : {std::string(""), std::string("k1"), std::string("k1:short"),
                                 good + ",k1:" + material, std::string("bad id:") + material,
                                 good + ",k2:" + material.substr(4)}) {
    auto r = SecretBox::from_keyring(ring);
    ASSERT_FALSE(r.ok()) << ring;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_NE(r.error().message.find("IOT_SECRET_KEY entry"), std::string::npos);
    EXPECT_EQ(r.error().message.find(material), std::string::npos) << "the key leaked into the message";
  }
}

}  // namespace
}  // namespace iotfleet::core
