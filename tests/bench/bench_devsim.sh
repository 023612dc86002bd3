#!/usr/bin/env bash
# How many simulated devices one core of iot-serve sustains (issue 10): iot-serve pinned to CPU 0
# with one thread, iot-devsim (the firmware's device core over libcurl) on CPU 1, local devices
# polling /iot/config every --interval seconds. N doubles until the config polls per second stop
# following N/interval, an error appears, or the p99 latency passes --p99-limit; prints
#   one core of iot-serve sustains N simulated devices polling every X s (Y configs/s, p99 Z ms)
#
#   tests/bench/bench_devsim.sh [--bin DIR] [--interval SECONDS] [--step-seconds S] [--max N]
# DIR holds iot-serve, iot-provision and iot-devsim (default build-bench/bin). Uses the services of
# scripts/services.sh (DATABASE_URL, IOT_TEST_PG_ADMIN_URL) or starts throwaway ones.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/build-bench/bin" interval=0.5 step_seconds=15 max=3200 p99_limit=50
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --step-seconds) step_seconds=$2; shift 2 ;;
    --max) max=$2; shift 2 ;;
    --p99-limit) p99_limit=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for exe in iot-serve iot-provision iot-devsim; do
  [[ -x "$bin/$exe" ]] || { echo "bench: $bin/$exe not built" >&2; exit 1; }
done
command -v taskset >/dev/null || { echo "bench: taskset (util-linux) is missing" >&2; exit 1; }
(( $(nproc) >= 2 )) || { echo "bench: needs two CPUs (one for iot-serve, one for iot-devsim)" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/iotfleet-bench-devsim.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n "${db:-}" ]] && psql -q "$IOT_TEST_PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
  [[ -n "${own_services:-}" ]] && "$root/scripts/services.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z "${DATABASE_URL:-}" ]]; then
  own_services=1
  export IOT_SERVICES_DIR="$work/services"
  eval "$("$root/scripts/services.sh" start)"
fi
db="bench_devsim_$$"
psql -q "$IOT_TEST_PG_ADMIN_URL" -c "CREATE DATABASE $db OWNER iotfleet"
export DATABASE_URL="${DATABASE_URL%/*}/$db"
export IOT_SECRET_KEY="k1:$(openssl rand -base64 32)" IOT_SECRET_PEPPER="$(openssl rand -base64 32)"
export IOT_LOG_LEVEL=warn
"$bin/iot-provision" migrate >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)

# The fleet: local identities (HTTP Basic, checked against the pepper's HMAC on every poll).
"$bin/iot-provision" model create --code bench --name Bench >/dev/null
printf '{"interval":60,"mode":"bench"}' > "$work/config.json"
"$bin/iot-provision" device create --model bench --count "$max" --config "$work/config.json" --output json |
  python3 -c 'import json,sys; [print(d["key"]) for d in json.load(sys.stdin)]' > "$work/keys"
mkdir -p "$work/packages"
echo "bench: writing $max provisioning packages" >&2
xargs -P 2 -I{} "$bin/iot-provision" package {} --format json -o "$work/packages/{}.json" \
  --base-url "http://127.0.0.1:$port" --device-mqtt-url mqtt://unused --wifi-ssid bench \
  < "$work/keys" 2>/dev/null
# No MQTT: the measure is the HTTP endpoint (a device without mqtt_url polls only).
python3 - "$work/packages" <<'PY'
import json, os, sys
for name in os.listdir(sys.argv[1]):
    path = os.path.join(sys.argv[1], name)
    package = json.load(open(path))
    package["mqtt_url"] = ""
    json.dump(package, open(path, "w"))
PY

taskset -c 0 "$bin/iot-serve" --listen "127.0.0.1:$port" --threads 1 --db-role none \
  --auth-fail-address-limit 1000000 --max-connections 30000 2>"$work/serve.log" &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "bench: iot-serve did not start" >&2; cat "$work/serve.log" >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
best="" n=100
while (( n <= max )); do
  rm -rf "$work/state"
  before=$(cpu_ticks "$serve_pid")
  taskset -c 1 "$bin/iot-devsim" --packages "$work/packages" --state "$work/state" --devices "$n" \
    --duration "${step_seconds}s" --config-interval "${interval}s" --firmware-interval 1h \
    --threads 16 > "$work/report.json" 2>"$work/devsim.log"
  after=$(cpu_ticks "$serve_pid")
  read -r rate p99 errors < <(python3 - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(r["http"]["configs_per_s"], r["http"]["latency_p99_ms"], sum(r["totals"]["errors"].values()))
PY
)
  busy=$(echo "($after - $before) / $hz / $step_seconds * 100" | bc -l)
  expected=$(echo "$n / $interval" | bc -l)
  printf 'N=%5d: %7.1f configs/s (expected %7.1f), p99 %6.2f ms, errors %d, iot-serve CPU %3.0f%%\n' \
    "$n" "$rate" "$expected" "$p99" "$errors" "$busy" >&2
  if (( errors > 0 )) || (( $(echo "$rate < 0.9 * $expected" | bc -l) )) ||
     (( $(echo "$p99 > $p99_limit" | bc -l) )); then
    break
  fi
  best="$n $rate $p99 $busy"
  n=$(( n * 2 ))
done
if [[ -z "$best" ]]; then
  echo "one core of iot-serve: even 100 simulated devices polling every ${interval} s did not keep up"
  exit 1
fi
read -r n rate p99 busy <<<"$best"
limit="scaling stopped at N=$(( n * 2 ))"
(( n * 2 > max )) && limit="the largest fleet tried (--max $max)"
# iot-serve's core not saturated (the fleet size or the simulator's core stopped first): N is a
# lower bound.
if (( $(echo "$busy < 90" | bc -l) )); then
  limit="$limit; a lower bound: iot-serve's core was only $(printf '%.0f' "$busy")% busy"
fi
printf 'one core of iot-serve sustains %d simulated devices polling every %s s (%.0f configs/s, p99 %.2f ms; iot-serve CPU %.0f%%; %s)\n' \
  "$n" "$interval" "$rate" "$p99" "$busy" "$limit"
# At the devices' default interval (60 s) the same rate serves this many.
printf 'at the default 60 s interval that rate serves about %.0f devices\n' "$(echo "$rate * 60" | bc -l)"
