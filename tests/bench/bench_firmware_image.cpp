// Throughput of parse_image() on the largest valid ESP32 fixture, beside a bare SHA-256 of the
// same bytes (the peer: hashing is the floor for any validating parser). Run through
// tests/bench/bench_firmware_inspect.sh, which prints MB/s and the median of several runs.

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "firmware/image.hpp"

namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::string name;
  std::vector<std::uint8_t> bytes;
};

const Fixture& largest_image() {
  static const Fixture f = [] {
    fs::path best;
    for (const auto& e : fs::directory_iterator(fs::path(IOT_FIXTURES_DIR) / "esp32")) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() != ".bin" || name.rfind("corrupt-", 0) == 0) continue;
      if (best.empty() || e.file_size() > fs::file_size(best)) best = e.path();
    }
    if (best.empty()) throw std::runtime_error("no images in " IOT_FIXTURES_DIR "/esp32");
    std::ifstream in(best, std::ios::binary);
    return Fixture{best.filename().string(),
                   {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()}};
  }();
  return f;
}

void BM_ParseImage(benchmark::State& state) {
  const Fixture& f = largest_image();
  for (auto _ : state) {
    auto info = iotfleet::firmware::parse_image(f.bytes);
    if (!info) state.SkipWithError(info.error().message.c_str());
    benchmark::DoNotOptimize(info);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes.size()));
  state.SetLabel(f.name);
}
BENCHMARK(BM_ParseImage);

void BM_Sha256Peer(benchmark::State& state) {
  const Fixture& f = largest_image();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(f.bytes.data(), f.bytes.size(), md, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(md);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes.size()));
  state.SetLabel(f.name);
}
BENCHMARK(BM_Sha256Peer);

}  // namespace

BENCHMARK_MAIN();
