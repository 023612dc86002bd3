// Token verifications per second: cold (parse + RS256 signature + claims, the verified-token
// cache off) and warm (the same token found in the cache by its SHA-256), beside the peer, a
// bare OpenSSL EVP_DigestVerify of the same signature with the same key: the floor for any
// verifier. ES256 the same way. Run through tests/bench/bench_jwt.sh, which prints the ratios.

#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "auth/jwt.hpp"
#include "auth/verifier.hpp"
#include "support/manual_clock.hpp"
#include "support/token_factory.hpp"

namespace {

using namespace iotfleet;

constexpr std::int64_t kNow = 1'800'000'000;

struct Setup {
  explicit Setup(const std::string& alg, std::size_t cache_entries)
      : key(test_support::make_key(alg, "bench-" + alg)),
        token(test_support::sign_token(
            key, {{"exp", kNow + 300},
                  {"iat", kNow},
                  {"iss", "https://kc.example.org/realms/iot"},
                  {"aud", {"iot-api", "account"}},
                  {"sub", "6d1f"},
                  {"typ", "Bearer"},
                  {"azp", "iotdevice-env_sensor-k3x9a2b1"},
                  {"client_id", "iotdevice-env_sensor-k3x9a2b1"},
                  {"scope", "profile email"},
                  {"preferred_username", "service-account-iotdevice-env_sensor-k3x9a2b1"}})),
        keys([this]() -> core::Result<std::string> { return test_support::jwks_of({&key}); },
             clock),
        verifier(
            [&] {
              auth::VerifierSettings s;
              s.issuer = "https://kc.example.org/realms/iot";
              s.audience = "iot-api";
              s.algorithms = {alg};
              s.cache_entries = cache_entries;
              return s;
            }(),
            keys, clock) {}
  test_support::ManualClock clock{kNow};
  test_support::TestKey key;
  std::string token;
  auth::JwksCache keys;
  auth::TokenVerifier verifier;
};

void verify(benchmark::State& state, const std::string& alg, std::size_t cache_entries) {
  Setup s(alg, cache_entries);
  if (!s.verifier.verify(s.token)) state.SkipWithError("the token does not verify");
  for (auto _ : state) {
    auto r = s.verifier.verify(s.token);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(s.token.size()) + "-byte token");
}

// The peer: EVP_DigestVerify of the token's signature, nothing else (no parsing, no JSON).
void peer(benchmark::State& state, const std::string& alg) {
  Setup s(alg, 0);
  const auto jws = auth::parse_jws(s.token);
  const auto set = auth::parse_jwks(test_support::jwks_of({&s.key})).take();
  EVP_PKEY* pkey = set.find("bench-" + alg)->key.get();
  core::Bytes signature = jws->signature;
  if (alg.starts_with("ES")) {  // EVP wants DER; convert once, outside the loop
    const std::size_t half = signature.size() / 2;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(signature.data(), static_cast<int>(half), nullptr),
                   BN_bin2bn(signature.data() + half, static_cast<int>(half), nullptr));
    signature.assign(static_cast<std::size_t>(i2d_ECDSA_SIG(sig, nullptr)), 0);
    unsigned char* p = signature.data();
    i2d_ECDSA_SIG(sig, &p);
    ECDSA_SIG_free(sig);
  }
  const std::string input(jws->signing_input);
  for (auto _ : state) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey);
    const int ok =
        EVP_DigestVerify(ctx, signature.data(), signature.size(),
                         reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    if (ok != 1) state.SkipWithError("EVP_DigestVerify failed");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyColdRS256(benchmark::State& st) { verify(st, "RS256", 0); }
void BM_VerifyWarmRS256(benchmark::State& st) { verify(st, "RS256", 10000); }
void BM_EvpVerifyPeerRS256(benchmark::State& st) { peer(st, "RS256"); }
void BM_VerifyColdES256(benchmark::State& st) { verify(st, "ES256", 0); }
void BM_EvpVerifyPeerES256(benchmark::State& st) { peer(st, "ES256"); }
BENCHMARK(BM_VerifyColdRS256);
BENCHMARK(BM_VerifyWarmRS256);
BENCHMARK(BM_EvpVerifyPeerRS256);
BENCHMARK(BM_VerifyColdES256);
BENCHMARK(BM_EvpVerifyPeerES256);

}  // namespace

BENCHMARK_MAIN();
