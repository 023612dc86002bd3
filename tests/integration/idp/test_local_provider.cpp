// The local identity behind the provider interface, on the real PostgreSQL.
#include <gtest/gtest.h>

#include "fleet/devices.hpp"
#include "fleet/identities.hpp"
#include "idp/local_provider.hpp"
#include "test_support/database.hpp"

namespace iotfleet::test_support {
namespace {

const char* kPepper = "cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg==";

struct LocalProviderTest : ::testing::Test {
  TestDatabase db;
  core::SecretBox box =
      core::SecretBox::from_keyring(core::SecretBox::generate_keyring_entry("k1")).take();
  idp::Pepper pepper = idp::Pepper::parse(kPepper).take();
  fleet::Session session{db.conn(), "test"};
  idp::LocalProvider provider{db.conn(), box, pepper};
  std::string key, client_id;

  LocalProviderTest() {
    fleet::create_model(session, "m", "Model", std::nullopt).take();
    fleet::DeviceSpec spec;
    spec.model_code = "m";
    const auto created =
        fleet::create_devices(session, spec, fleet::LocalSecrets{box, pepper}).take();
    key = created[0].key;
    client_id = created[0].client_id;
  }
  core::Bytes stored_hmac() {
    return *core::hex_decode(db.scalar("SELECT encode(secret_hmac, 'hex') FROM devices"));
  }
};

TEST_F(LocalProviderTest, ReadsTheSealedSecretThatVerifiesAgainstTheHmac) {
  EXPECT_TRUE(provider.exists(client_id).value());
  auto secret = provider.read_secret(client_id);
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_TRUE(idp::verify_local_secret(pepper, key, *secret, stored_hmac()));
  EXPECT_TRUE(provider.inspect({client_id, "", "", *secret})->consistent());
  EXPECT_EQ(provider.read_secret("iotdevice-m-zzzzzzzz").error().kind, core::ErrorKind::not_found);
  EXPECT_FALSE(provider.exists("iotdevice-m-zzzzzzzz").value());
}

TEST_F(LocalProviderTest, SetAndRegenerateReplaceBothColumns) {
  ASSERT_TRUE(provider.set_secret(client_id, "chosen-secret-value"));
  EXPECT_EQ(provider.read_secret(client_id).value(), "chosen-secret-value");
  EXPECT_TRUE(idp::verify_local_secret(pepper, key, "chosen-secret-value", stored_hmac()));

  auto fresh = provider.regenerate(client_id);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(core::base64url_decode(*fresh)->size(), 32u);
  EXPECT_FALSE(idp::verify_local_secret(pepper, key, "chosen-secret-value", stored_hmac()));
  EXPECT_TRUE(idp::verify_local_secret(pepper, key, *fresh, stored_hmac()));
}

TEST_F(LocalProviderTest, InspectFindsATamperedHmacAndSyncRepairsItFromTheSealedSecret) {
  {
    pqxx::work tx(db.conn());
    tx.exec0("UPDATE devices SET secret_hmac = '\\x00'");
    tx.commit();
  }
  const auto secret = provider.read_secret(client_id).value();
  auto check = provider.inspect({client_id, "", "", secret});
  ASSERT_TRUE(check);
  ASSERT_EQ(check->problems.size(), 1u);
  EXPECT_NE(check->problems[0].find("HMAC"), std::string::npos);

  fleet::ProviderFor providers = [&](const std::string&) -> idp::IdentityProvider& {
    return provider;
  };
  const auto report = fleet::sync_device(session, key, box, providers);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->outcome, idp::Outcome::repaired);
  EXPECT_TRUE(idp::verify_local_secret(pepper, key, secret, stored_hmac()));
  EXPECT_TRUE(fleet::inspect_identity(session, key, box, providers)->consistent());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'device.sync'"), "1");
}

TEST_F(LocalProviderTest, RemoveHasNothingToDoTheCredentialGoesWithTheRow) {
  EXPECT_FALSE(provider.remove(client_id).value());
  EXPECT_TRUE(provider.exists(client_id).value());
}

}  // namespace
}  // namespace iotfleet::test_support
