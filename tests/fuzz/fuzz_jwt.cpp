// libFuzzer target for device authentication: the compact JWS parser, the JWKS parser and the
// whole verifier and authenticator behind them. Any input must end in a verdict, never a crash,
// an out-of-bounds read, an exception or a leak; built and run by scripts/fuzz.sh, which points
// IOT_FUZZ_JWKS at tests/fixtures/jwt/jwks.json (the keys of the seed tokens).
//
// The first bytes choose the path: "Bearer " / "Basic " → Authenticator::authenticate, "{" →
// parse_jwks, anything else → TokenVerifier::verify (cache off, so runs are reproducible).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/authenticator.hpp"
#include "auth/jwt.hpp"

namespace {

using namespace iotfleet;

class FixedClock final : public core::Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  }
};

class Directory final : public auth::DeviceDirectory {
 public:
  explicit Directory(const idp::Pepper& pepper) {
    keycloak_ = {"k3x9a2b1", "env_sensor", "iotdevice-env_sensor-k3x9a2b1", "keycloak", true, {}};
    local_ = {"l0ca1dev",
              "env_sensor",
              "iotdevice-env_sensor-l0ca1dev",
              "local",
              true,
              idp::local_secret_hmac(pepper, "l0ca1dev", "local-device-secret-for-fuzzing")};
  }
  core::Result<std::optional<auth::DeviceRecord>> find(const std::string& key) override {
    if (key == keycloak_.key) return std::optional(keycloak_);
    if (key == local_.key) return std::optional(local_);
    return std::optional<auth::DeviceRecord>();
  }

 private:
  auth::DeviceRecord keycloak_, local_;
};

struct World {
  FixedClock clock;
  std::string jwks;
  auth::JwksCache keys{[this]() -> core::Result<std::string> { return jwks; }, clock};
  auth::TokenVerifier verifier{[] {
                                 auth::VerifierSettings s;
                                 s.issuer = "https://kc.example.org/realms/iot";
                                 s.audience = "iot-api";
                                 s.algorithms = {"RS256", "RS384", "RS512",
                                                 "PS256", "ES256", "ES384"};
                                 s.cache_entries = 0;
                                 return s;
                               }(),
                               keys, clock};
  idp::Pepper pepper =
      idp::Pepper::parse("cGVwcGVyLXBlcHBlci1wZXBwZXItcGVwcGVyLXBlcHBlcg==").take();
  Directory directory{pepper};
  auth::Authenticator authenticator{&verifier, &pepper, directory};

  World() {
    const char* path = std::getenv("IOT_FUZZ_JWKS");
    std::ifstream in(path ? path : "");
    std::ostringstream s;
    s << in.rdbuf();
    jwks = s.str();
    if (!path || !auth::parse_jwks(jwks) || auth::parse_jwks(jwks)->keys.empty()) {
      std::fprintf(stderr, "fuzz_jwt: set IOT_FUZZ_JWKS to tests/fixtures/jwt/jwks.json\n");
      std::abort();
    }
  }
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  World& w = world();
  if (input.starts_with("Bearer ") || input.starts_with("Basic ")) {
    const auto r = w.authenticator.authenticate(input, "k3x9a2b1");
    if (!r) (void)auth::reason_name(r.rejection().reason);
  } else if (input.starts_with("{")) {
    (void)auth::parse_jwks(input);
  } else {
    const auto r = w.verifier.verify(input);
    // A verdict either way; an accepted token must name a device client.
    if (r && r->client_id.find("iotdevice-") != 0) std::abort();
  }
  return 0;
}
