#!/usr/bin/env bash
# Prints how fast `iot-firmware inspect` parses and checks an image: MB/s (10^6 bytes/s) of
# parse_image() on the largest ESP32 fixture, repeated in-process, as the median of several runs,
# with a bare SHA-256 of the same bytes measured in the same run as the peer.
#
#   tests/bench/bench_firmware_inspect.sh [--bin PATH | --build-dir DIR] [--repetitions N]
#
# Without --bin it configures DIR (default build-bench/) as a Release build with
# IOT_BUILD_BENCH=ON and builds bench_firmware_image there (needs libbenchmark-dev).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/gbench_common.sh"
gbench_setup bench_firmware_image 10 "$@"

"$bin" --benchmark_repetitions="$repetitions" --benchmark_min_time=0.2 \
  --benchmark_format=json >"$json"

/usr/bin/python3 - "$json" "$repetitions" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
median = {b["run_name"]: b for b in report["benchmarks"] if b.get("aggregate_name") == "median"}
parse, peer = median["BM_ParseImage"], median["BM_Sha256Peer"]
mbps = lambda b: b["bytes_per_second"] / 1e6
print(f"iot-firmware inspect: parse_image() on {parse.get('label', '?')}, "
      f"median of {sys.argv[2]} runs")
print(f"  parse + checksum + SHA-256:   {mbps(parse):8.1f} MB/s")
print(f"  peer, bare SHA-256 (EVP):     {mbps(peer):8.1f} MB/s")
print(f"  ratio parse / peer:           {mbps(parse) / mbps(peer):8.2f}")
EOF
