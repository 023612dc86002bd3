// Secrets sealed per second with the fixture controller's RSA-4096 key: one value
// (hybrid_encrypt), one whole Secret (the fixture's three values, parsed from YAML and written as
// a SealedSecret document), beside the peer measured in the same run: bare OpenSSL EVP calls doing
// the same RSA-OAEP(SHA-256) of a fresh 32-byte key and AES-256-GCM of the value, nothing else.
// The `openssl` command is not a meaningful peer: `openssl enc` cannot do AES-GCM, and starting a
// process per value would measure fork/exec. Run through tests/bench/bench_seal.sh.

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <fstream>
#include <sstream>

#include "seal/document.hpp"
#include "seal/keys.hpp"
#include "seal/stream.hpp"

namespace {

using namespace iotfleet;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(IOT_FIXTURES_DIR) + "/sealed-secrets/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const seal::SealingCertificate& cert() {
  static const seal::SealingCertificate c =
      std::move(seal::parse_certificate(fixture("controller.crt"), "controller.crt")).take();
  return c;
}

const std::string kValue = "ca-keys-test-only-2026";  // the fixture's password, 22 bytes

void BM_SealValue(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(
        seal::hybrid_encrypt(cert().key, core::as_bytes(kValue), "os2iot-backend/ca-keys"));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SealValue);

void BM_SealSecret(benchmark::State& state) {
  const std::string input = fixture("secret.yaml");
  for (auto _ : state) {
    auto out = seal::seal_stream(input, "secret.yaml", cert().key, {}, seal::Format::yaml);
    if (!out.ok()) state.SkipWithError(out.error().message.c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("3 values per Secret");
}
BENCHMARK(BM_SealSecret);

// The floor: the same primitives with nothing around them.
void BM_EvpPeerValue(benchmark::State& state) {
  EVP_PKEY* key = cert().key.get();
  const std::string label = "os2iot-backend/ca-keys";
  std::array<unsigned char, 12> nonce{};
  std::vector<unsigned char> rsa_out(512), gcm_out(kValue.size() + 16);
  for (auto _ : state) {
    unsigned char session[32];
    RAND_bytes(session, sizeof session);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
    EVP_PKEY_encrypt_init(ctx);
    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING);
    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256());
    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256());
    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, OPENSSL_memdup(label.data(), label.size()),
                                     static_cast<int>(label.size()));
    std::size_t len = rsa_out.size();
    EVP_PKEY_encrypt(ctx, rsa_out.data(), &len, session, sizeof session);
    EVP_PKEY_CTX_free(ctx);
    EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), nullptr, session, nonce.data());
    EVP_EncryptUpdate(c, gcm_out.data(), &n, reinterpret_cast<const unsigned char*>(kValue.data()),
                      static_cast<int>(kValue.size()));
    EVP_EncryptFinal_ex(c, gcm_out.data() + n, &n);
    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, gcm_out.data() + kValue.size());
    EVP_CIPHER_CTX_free(c);
    benchmark::DoNotOptimize(rsa_out.data());
    benchmark::DoNotOptimize(gcm_out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvpPeerValue);

}  // namespace

BENCHMARK_MAIN();
