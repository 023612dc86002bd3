#!/usr/bin/env bash
# Prints how many secrets iot-seal's library seals per second with an RSA-4096 controller key:
# single values, and whole Secrets (the fixture's 3 values, YAML in, SealedSecret document out),
# beside the peer measured in the same run, bare OpenSSL EVP calls doing the same RSA-OAEP +
# AES-256-GCM. Medians of several runs.
#
#   tests/bench/bench_seal.sh [--bin PATH | --build-dir DIR] [--repetitions N]
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/gbench_common.sh"
gbench_setup bench_seal 5 "$@"

"$bin" --benchmark_repetitions="$repetitions" --benchmark_min_time=0.2 --benchmark_format=json >"$json"

/usr/bin/python3 - "$json" "$repetitions" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
median = {b["run_name"]: b for b in report["benchmarks"] if b.get("aggregate_name") == "median"}
rate = lambda name: median[name]["items_per_second"]
value, secret, peer = rate("BM_SealValue"), rate("BM_SealSecret"), rate("BM_EvpPeerValue")
print(f"sealing with an RSA-4096 controller key, median of {sys.argv[2]} runs, one core")
print(f"  values sealed (hybrid_encrypt):              {value:10,.0f} /s")
print(f"  Secrets sealed (3 values, YAML in and out):  {secret:10,.0f} /s")
print(f"  peer, bare EVP RSA-OAEP + AES-GCM per value: {peer:10,.0f} /s   ratio values / peer: {value / peer:.2f}")
PY
