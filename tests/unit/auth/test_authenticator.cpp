#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include "support/auth_printers.hpp"

#include <map>

#include "core/encoding.hpp"
#include "support/manual_clock.hpp"
#include "support/token_factory.hpp"

namespace iotfleet::auth {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const char* kPepper = "cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg==";

class FakeDirectory final : public DeviceDirectory {
 public:
  std::map<std::string, DeviceRecord> devices;
  bool down = false;
  core::Result<std::optional<DeviceRecord>> find(const std::string& key) override {
    if (down) return core::Error::unavailable("database down");
    const auto it = devices.find(key);
    return it == devices.end() ? std::optional<DeviceRecord>() : std::optional(it->second);
  }
};

struct Auth : ::testing::Test {
  test_support::ManualClock clock{kNow};
  test_support::TestKey rs = test_support::make_key("RS256", "rs");
  JwksCache keys{[this]() -> core::Result<std::string> { return test_support::jwks_of({&rs}); },
                 clock};
  TokenVerifier verifier{[] {
                           VerifierSettings s;
                           s.issuer = "https://kc/realms/iot";
                           s.audience = "iot-api";
                           return s;
                         }(),
                         keys, clock};
  idp::Pepper pepper = idp::Pepper::parse(kPepper).take();
  FakeDirectory directory;
  Authenticator auth{&verifier, &pepper, directory};
  const std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I";

  Auth() {
    directory.devices["aaaaaaaa"] = {"aaaaaaaa", "m", "iotdevice-m-aaaaaaaa", "keycloak", true, {}};
    directory.devices["bbbbbbbb"] = {"bbbbbbbb", "m", "iotdevice-m-bbbbbbbb", "keycloak", true, {}};
    directory.devices["llllllll"] = {
        "llllllll", "m",  "iotdevice-m-llllllll",
        "local",    true, idp::local_secret_hmac(pepper, "llllllll", secret)};
  }
  std::string bearer(const std::string& client_id) {
    return "Bearer " + test_support::sign_token(rs, {{"iss", "https://kc/realms/iot"},
                                                     {"aud", "iot-api"},
                                                     {"exp", kNow + 300},
                                                     {"iat", kNow},
                                                     {"azp", client_id},
                                                     {"typ", "Bearer"}});
  }
  std::string basic(const std::string& user, const std::string& pass) {
    return "Basic " + core::base64_encode(core::as_bytes(user + ":" + pass));
  }
  Reason rejected(const std::string& header, const std::string& resource = "") {
    const auto r = auth.authenticate(header, resource);
    EXPECT_FALSE(r);
    return r ? Reason::missing_credentials : r.rejection().reason;
  }
};

TEST_F(Auth, BearerTokenOfAnActiveKeycloakDevice) {
  const auto r = auth.authenticate(bearer("iotdevice-m-aaaaaaaa"), "aaaaaaaa");
  ASSERT_TRUE(r) << r.rejection().message;
  EXPECT_EQ(r->key, "aaaaaaaa");
  EXPECT_EQ(r->method, Method::bearer);
  EXPECT_EQ(r->token_issued_at, kNow);
  EXPECT_TRUE(auth.authenticate("bearer  " + bearer("iotdevice-m-aaaaaaaa").substr(7)));
}

TEST_F(Auth, ATokenOfDeviceAForDeviceBIsRejected) {
  EXPECT_EQ(rejected(bearer("iotdevice-m-aaaaaaaa"), "bbbbbbbb"), Reason::device_mismatch);
}

TEST_F(Auth, DeviceStateIsCheckedOnEveryRequestEvenForCachedTokens) {
  const auto header = bearer("iotdevice-m-aaaaaaaa");
  ASSERT_TRUE(auth.authenticate(header));
  directory.devices["aaaaaaaa"].active = false;
  EXPECT_EQ(rejected(header), Reason::inactive_device);
  directory.devices.erase("aaaaaaaa");
  EXPECT_EQ(rejected(header), Reason::unknown_device);
  EXPECT_GE(verifier.cache_hits(), 2u);
}

TEST_F(Auth, TheTokensModelAndClientIdMustBeTheDevicesOwn) {
  EXPECT_EQ(rejected(bearer("iotdevice-other-aaaaaaaa")), Reason::wrong_model);
  directory.devices["aaaaaaaa"].client_id = "iotdevice-m-aaaaaaaa-renamed";
  EXPECT_EQ(rejected(bearer("iotdevice-m-aaaaaaaa")), Reason::wrong_client_id);
}

TEST_F(Auth, EachIdentityKindHasItsOwnScheme) {
  EXPECT_EQ(rejected(bearer("iotdevice-m-llllllll")), Reason::wrong_identity_kind);
  EXPECT_EQ(rejected(basic("aaaaaaaa", secret)), Reason::wrong_identity_kind);
}

TEST_F(Auth, LocalSecretsOverBasic) {
  const auto r = auth.authenticate(basic("llllllll", secret), "llllllll");
  ASSERT_TRUE(r) << r.rejection().message;
  EXPECT_EQ(r->method, Method::basic);
  EXPECT_EQ(rejected(basic("llllllll", secret + "x")), Reason::bad_secret);
  EXPECT_EQ(rejected(basic("llllllll", secret), "aaaaaaaa"), Reason::device_mismatch);
  EXPECT_EQ(rejected(basic("zzzzzzzz", secret)), Reason::unknown_device);
  directory.devices["llllllll"].active = false;
  EXPECT_EQ(rejected(basic("llllllll", secret)), Reason::inactive_device);
}

TEST_F(Auth, MissingOrUnknownSchemesAndADownDirectory) {
  EXPECT_EQ(rejected(""), Reason::missing_credentials);
  EXPECT_EQ(rejected("Digest abc"), Reason::unsupported_scheme);
  EXPECT_EQ(rejected("Bearer"), Reason::unsupported_scheme);
  EXPECT_EQ(rejected("Bearer x.y.z"), Reason::malformed_token);
  directory.down = true;
  EXPECT_EQ(rejected(bearer("iotdevice-m-aaaaaaaa")), Reason::directory_unavailable);
  Authenticator no_keycloak(nullptr, nullptr, directory);
  EXPECT_FALSE(no_keycloak.authenticate(bearer("iotdevice-m-aaaaaaaa")));
  EXPECT_FALSE(no_keycloak.authenticate(basic("llllllll", secret)));
}

TEST(ReasonNames, AreStable) {
  EXPECT_STREQ(reason_name(Reason::bad_signature), "bad_signature");
  EXPECT_STREQ(reason_name(Reason::device_mismatch), "device_mismatch");
  EXPECT_STREQ(reason_name(Reason::directory_unavailable), "directory_unavailable");
}

}  // namespace
}  // namespace iotfleet::auth
