#!/usr/bin/env bash
# Uploads a 4 MB image (--size) with `iot-firmware upload` (parse, validate, SHA-256, store in
# PostgreSQL) and prints the median time of --runs uploads, each a new version, against a peer
# measured in the same run: psql storing the same bytes as bytea with no validation at all.
#
#   tests/bench/bench_firmware_upload.sh [--size BYTES] [--runs R] [--bin DIR] [--tests DIR]
# Needs the services: it starts its own throwaway ones unless DATABASE_URL is set.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
size=$((4 * 1024 * 1024)) runs=5 bin="$root/build/bin" tests="$root/build/tests"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x "$bin/iot-firmware" && -x "$tests/make_test_image" ]] || { echo "bench: build iot-firmware and make_test_image first" >&2; exit 1; }

work=$(mktemp -d /tmp/iotfleet-bench.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
if [[ -z "${DATABASE_URL:-}" ]]; then
  export IOT_SERVICES_DIR="$work/services"
  trap '"$root/scripts/services.sh" stop; cleanup' EXIT
  eval "$("$root/scripts/services.sh" start)"
fi
db="bench_fw_$(date +%s)_$$"
psql -q "$IOT_TEST_PG_ADMIN_URL" -c "CREATE DATABASE $db OWNER iotfleet"
export DATABASE_URL="${DATABASE_URL%/*}/$db"
"$bin/iot-provision" migrate >/dev/null
"$bin/iot-provision" model create --code bench --name Bench >/dev/null
psql -q "$DATABASE_URL" -c "CREATE TABLE peer_blobs (id serial PRIMARY KEY, data bytea)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }
ours=() peer=()
for run in $(seq "$runs"); do
  "$tests/make_test_image" "$work/fw-$run.bin" "1.0.$run" "$size"
  t0=$(now); "$bin/iot-firmware" upload --model bench "$work/fw-$run.bin" >/dev/null; t1=$(now)
  ours+=("$(echo "$t1 - $t0" | bc -l)")
  # The peer: the same bytes as a hex literal through psql's standard input.
  t0=$(now)
  { printf "INSERT INTO peer_blobs (data) VALUES (decode('"; basenc --base16 -w0 "$work/fw-$run.bin"; printf "', 'hex'));\n"; } \
    | psql -q "$DATABASE_URL"
  t1=$(now)
  peer+=("$(echo "$t1 - $t0" | bc -l)")
done
psql -q "$IOT_TEST_PG_ADMIN_URL" -c "DROP DATABASE $db WITH (FORCE)"

bytes=$(stat -c %s "$work/fw-1.bin")
t_ours=$(printf '%s\n' "${ours[@]}" | median)
t_peer=$(printf '%s\n' "${peer[@]}" | median)
printf 'iot-firmware upload of a %.1f MB image: median %.3f s over %d runs (%.1f MB/s)\n' \
  "$(echo "$bytes / 1000000" | bc -l)" "$t_ours" "$runs" "$(echo "$bytes / 1000000 / $t_ours" | bc -l)"
printf 'peer, psql INSERT of the same bytes: median %.3f s\n' "$t_peer"
printf 'ratio upload / peer time: %.2f\n' "$(echo "$t_ours / $t_peer" | bc -l)"
