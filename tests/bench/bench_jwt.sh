#!/usr/bin/env bash
# Prints how many device tokens the endpoint's verifier checks per second: cold (parse, RS256 or
# ES256 signature, claims; the verified-token cache off) and warm (the cache hit of a token seen
# before), beside the peer measured in the same run, a bare OpenSSL EVP_DigestVerify of the same
# signature with the same key. Medians of several runs.
#
#   tests/bench/bench_jwt.sh [--bin PATH | --build-dir DIR] [--repetitions N]
#
# Without --bin it configures DIR (default build-bench/) as a Release build with
# IOT_BUILD_BENCH=ON and builds bench_jwt there (needs libbenchmark-dev).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/gbench_common.sh"
gbench_setup bench_jwt 5 "$@"

"$bin" --benchmark_repetitions="$repetitions" --benchmark_min_time=0.2 --benchmark_format=json >"$json"

/usr/bin/python3 - "$json" "$repetitions" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
median = {b["run_name"]: b for b in report["benchmarks"] if b.get("aggregate_name") == "median"}
rate = lambda name: median[name]["items_per_second"]
print(f"device token verification, median of {sys.argv[2]} runs ({median['BM_VerifyColdRS256'].get('label', '')})")
for alg in ("RS256", "ES256"):
    cold, peer = rate(f"BM_VerifyCold{alg}"), rate(f"BM_EvpVerifyPeer{alg}")
    print(f"  {alg} cold (parse + signature + claims): {cold:12,.0f} /s")
    print(f"  {alg} peer, bare EVP_DigestVerify:      {peer:12,.0f} /s   ratio cold / peer: {cold / peer:.2f}")
warm = rate("BM_VerifyWarmRS256")
print(f"  RS256 warm (verified-token cache hit):   {warm:12,.0f} /s   ratio warm / cold: "
      f"{warm / rate('BM_VerifyColdRS256'):.1f}")
PY
