#!/usr/bin/env bash
# Creates N devices (default 10,000) with one `iot-provision device create --count N` and prints
# devices/second and peak memory, against a peer measured in the same run: psql inserting the
# same number of device rows with SQL alone (no key generation, crypto, validation or audit),
# the floor set by the database itself. Median of --runs runs (default 3).
#
#   tests/bench/bench_device_create.sh [--count N] [--runs R] [--bin DIR]
# Needs the services: it starts its own throwaway ones unless DATABASE_URL is set.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=10000 runs=3 bin="$root/build/bin"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x "$bin/iot-provision" ]] || { echo "bench: $bin/iot-provision not built" >&2; exit 1; }

source "$root/tests/bench/bench_database.sh"
bench_database bench

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

ours=() rss=() peer=()
for run in $(seq "$runs"); do
  "$bin/iot-provision" model create --code "bench_$run" --name "Bench $run" >/dev/null
  # GNU time: elapsed seconds and peak resident set size (KiB).
  /usr/bin/time -f '%e %M' -o /tmp/bench-time.$$ \
    "$bin/iot-provision" device create --model "bench_$run" --count "$count" --output json >/dev/null
  read -r secs kib < /tmp/bench-time.$$
  ours+=("$secs") rss+=("$kib")

  model_id=$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM device_models WHERE code = 'bench_$run'")
  start=$(date +%s.%N)
  psql -q "$DATABASE_URL" -c "INSERT INTO devices (key, model_id, identity_kind, client_id, config)
    SELECT k, $model_id, 'local', 'peer-' || k, '{}'::jsonb
    FROM (SELECT substr(md5(random()::text || g::text), 1, 8) AS k FROM generate_series(1, $count) g) s
    ON CONFLICT DO NOTHING"
  end=$(date +%s.%N)
  peer+=("$(echo "$end - $start" | bc -l)")
done
rm -f /tmp/bench-time.$$

t_ours=$(printf '%s\n' "${ours[@]}" | median)
t_peer=$(printf '%s\n' "${peer[@]}" | median)
peak=$(printf '%s\n' "${rss[@]}" | sort -n | tail -n1)
printf 'device create --count %d: median %.2f s over %d runs = %.0f devices/s\n' "$count" "$t_ours" "$runs" "$(echo "$count / $t_ours" | bc -l)"
printf 'peak memory (max RSS): %.1f MiB\n' "$(echo "$peak / 1024" | bc -l)"
printf 'peer, psql INSERT of %d bare rows: median %.2f s = %.0f rows/s\n' "$count" "$t_peer" "$(echo "$count / $t_peer" | bc -l)"
printf 'ratio iot-provision / bare SQL time: %.2f\n' "$(echo "$t_ours / $t_peer" | bc -l)"
