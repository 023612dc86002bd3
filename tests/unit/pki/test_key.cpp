#include "pki/key.hpp"

#include <gtest/gtest.h>

namespace iotfleet::pki {
namespace {

TEST(KeyType, ParsesTheThreeNamesAndRejectsOthers) {
  EXPECT_EQ(parse_key_type("ec-p256").value(), KeyType::ec_p256);
  EXPECT_EQ(parse_key_type("rsa-2048").value(), KeyType::rsa_2048);
  EXPECT_EQ(parse_key_type("rsa-4096").value(), KeyType::rsa_4096);
  auto bad = parse_key_type("ec-p384");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, core::ErrorKind::usage);
  EXPECT_NE(bad.error().message.find("rsa-4096"), std::string::npos);
}

TEST(PrivateKey, GeneratesP256AndRsa) {
  const auto ec = PrivateKey::generate(KeyType::ec_p256).take();
  EXPECT_EQ(ec.describe(), "EC P-256");
  EXPECT_FALSE(ec.is_rsa());
  const auto rsa = PrivateKey::generate(KeyType::rsa_2048).take();
  EXPECT_EQ(rsa.describe(), "RSA 2048");
  EXPECT_TRUE(rsa.is_rsa());
}

TEST(PrivateKey, EncryptedPemIsPkcs8AndRoundTrips) {
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  const std::string pem = key.to_encrypted_pem("correct horse battery").take();
  EXPECT_TRUE(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")) << pem;
  const auto back =
      PrivateKey::from_pem(pem, std::string("correct horse battery"), "ca.key").take();
  EXPECT_EQ(back.public_pem(), key.public_pem());
}

TEST(PrivateKey, WrongOrMissingPassphraseFailsAndSaysWhy) {
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  const std::string pem = key.to_encrypted_pem("correct horse battery").take();
  auto wrong = PrivateKey::from_pem(pem, std::string("incorrect horse"), "ca.key");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos)
      << wrong.error().message;
  auto missing = PrivateKey::from_pem(pem, std::nullopt, "ca.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no passphrase"), std::string::npos);
}

TEST(PrivateKey, ShortPassphraseIsRefused) {
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  auto r = key.to_encrypted_pem("short");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, core::ErrorKind::usage);
}

TEST(PrivateKey, PlainPemRoundTripsAndGarbageFails) {
  const auto key = PrivateKey::generate(KeyType::ec_p256).take();
  const std::string pem = key.to_pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(PrivateKey::from_pem(pem, std::nullopt, "k").take().public_pem(), key.public_pem());
  auto bad = PrivateKey::from_pem("not a key", std::nullopt, "x.key");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x.key"), std::string::npos);
}

}  // namespace
}  // namespace iotfleet::pki
