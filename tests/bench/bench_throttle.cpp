// Brute-force protection under an attack from many addresses (issue 11): feeds failures from N
// distinct addresses (default 100,000) into the endpoint's throttle, with its default capacity,
// and prints the resident memory as the attack grows. The table is bounded, so memory must stay
// flat once it is full. The peer in the same run is an unbounded std::unordered_map doing the
// same bookkeeping, to show what the bound saves.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_map>

#include "auth/throttle.hpp"

namespace {

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::string address(long i) {
  return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace iotfleet;
  const long count = argc > 1 ? std::stol(argv[1]) : 100000;
  const auth::ThrottleSettings settings;  // the endpoint's defaults
  auth::Throttle throttle(settings, core::system_clock());
  const long before = rss_kib();
  std::printf("throttle capacity: %zu sources per table; RSS before: %.1f MiB\n", settings.capacity,
              before / 1024.0);
  const auto start = std::chrono::steady_clock::now();
  long peak = before;
  for (long i = 1; i <= count; ++i) {
    throttle.failure(address(i), "");
    if (i % (count / 5) == 0) {
      const long now = rss_kib();
      peak = std::max(peak, now);
      std::printf("  after %7ld failing addresses: RSS %.1f MiB, sources tracked %zu\n", i,
                  now / 1024.0, throttle.tracked());
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("throttle: %ld failures in %.3f s = %.0f failures/s; RSS growth %.1f MiB\n", count,
              secs, count / secs, (peak - before) / 1024.0);

  const long peer_before = rss_kib();
  std::unordered_map<std::string, std::pair<long, long>> unbounded;
  for (long i = 1; i <= count; ++i) ++unbounded[address(i + count)].first;
  std::printf("peer, an unbounded map of the same addresses: RSS growth %.1f MiB for %zu entries\n",
              (rss_kib() - peer_before) / 1024.0, unbounded.size());
  return 0;
}
