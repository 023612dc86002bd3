#include "idp/local.hpp"

#include <gtest/gtest.h>

namespace iotfleet::idp {
namespace {

const char* kPepper = "cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg==";

TEST(LocalIdentity, IssuesA256BitSecretThatVerifies) {
  const auto box = core::SecretBox::from_keyring(core::SecretBox::generate_keyring_entry("k1")).take();
  const auto pepper = Pepper::parse(kPepper).take();
  const auto c = issue_local_credential(box, pepper, "k3x9a2b1");
  EXPECT_EQ(core::base64url_decode(c.secret)->size(), 32u);
  EXPECT_TRUE(verify_local_secret(pepper, "k3x9a2b1", c.secret, c.hmac));
  EXPECT_EQ(box.open(c.sealed, local_secret_context("k3x9a2b1")).value(), c.secret);
}

TEST(LocalIdentity, HmacIsBoundToKeyPepperAndSecret) {
  const auto box = core::SecretBox::from_keyring(core::SecretBox::generate_keyring_entry("k1")).take();
  const auto pepper = Pepper::parse(kPepper).take();
  const auto other_pepper = Pepper::parse("b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI=").take();
  const auto c = issue_local_credential(box, pepper, "k3x9a2b1");
  EXPECT_FALSE(verify_local_secret(pepper, "aaaaaaaa", c.secret, c.hmac));
  EXPECT_FALSE(verify_local_secret(other_pepper, "k3x9a2b1", c.secret, c.hmac));
  EXPECT_FALSE(verify_local_secret(pepper, "k3x9a2b1", c.secret.substr(1), c.hmac));
  EXPECT_FALSE(verify_local_secret(pepper, "k3x9a2b1", "", c.hmac));
  EXPECT_FALSE(box.open(c.sealed, local_secret_context("aaaaaaaa")).ok());
}

TEST(LocalIdentity, SecretsDiffer) {
  const auto box = core::SecretBox::from_keyring(core::SecretBox::generate_keyring_entry("k1")).take();
  const auto pepper = Pepper::parse(kPepper).take();
  EXPECT_NE(issue_local_credential(box, pepper, "k").secret, issue_local_credential(box, pepper, "k").secret);
}

TEST(LocalIdentity, WeakPeppersAreRefused) {
  EXPECT_FALSE(Pepper::parse("c2hvcnQ=").ok());
  EXPECT_FALSE(Pepper::parse("not base64!").ok());
  EXPECT_EQ(Pepper::parse("").error().kind, core::ErrorKind::usage);
}

}  // namespace
}  // namespace iotfleet::idp
