#!/usr/bin/env bash
# A city-sized fleet: seeds N devices (default 100,000) and prints the time of a full
# `iot-rotate run` when the schedule fires (queue the fleet, start the window), of a
# steady-state run (nothing due), and of `iot-rotate status`, each the median of --runs runs.
# The peer, measured in the same run, is psql executing only the queueing UPDATE: the floor the
# database sets. Then it prints the plans of the steady-state queries (EXPLAIN), which must use
# the partial indexes of migration 0001, never a sequential scan over devices.
#
#   tests/bench/bench_rotate_fleet.sh [--count N] [--runs R] [--bin DIR]
# Needs the services: it starts its own throwaway ones unless DATABASE_URL is set.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=100000 runs=3 bin="$root/build/bin"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x "$bin/iot-rotate" ]] || { echo "bench: $bin/iot-rotate not built" >&2; exit 1; }

source "$root/tests/bench/bench_database.sh"
bench_database bench_rotate
export IOT_LOG_LEVEL=error ROTATION_MAX_IN_FLIGHT=10
unset MQTT_URL
"$bin/iot-provision" model create --code bench --name Bench >/dev/null

# Seeding is not what is measured: rows straight from SQL, credentials of varied age.
psql -q "$DATABASE_URL" <<SQL
INSERT INTO devices (key, model_id, identity_kind, client_id, secret_created_at)
SELECT k, (SELECT id FROM device_models WHERE code = 'bench'), 'local', 'iotdevice-bench-' || k,
       now() - (random() * interval '365 days')
FROM (SELECT DISTINCT substr(md5(g::text || random()::text), 1, 8) AS k
      FROM generate_series(1, $count) g) s;
ANALYZE devices;
SQL
seeded=$(psql -qtA "$DATABASE_URL" -c "SELECT count(*) FROM devices")

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
timed() { # prints elapsed seconds of the command
  local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
reset_fleet() {
  psql -q "$DATABASE_URL" -c "UPDATE devices SET rotation_state = 'OK', pending_secret = NULL,
    previous_secret = NULL, rotation_attempt_at = NULL, rotation_queued_at = NULL
    WHERE rotation_state <> 'OK'" >/dev/null
  psql -q "$DATABASE_URL" -c "VACUUM ANALYZE devices" >/dev/null
  # a tick in the past that the last one handled precedes: the next run queues the fleet
  psql -q "$DATABASE_URL" -c "UPDATE settings SET value = jsonb_set(value, '{last_tick}',
    '\"2000-01-01T08:00:00Z\"') WHERE key = 'rotation.schedule'" >/dev/null
}

"$bin/iot-rotate" run >/dev/null  # a fresh install records the latest tick
full=() steady=() status=() peer=()
for run in $(seq "$runs"); do
  reset_fleet
  full+=("$(timed "$bin/iot-rotate" run)")
  steady+=("$(timed "$bin/iot-rotate" run)")
  status+=("$(timed "$bin/iot-rotate" status --output json)")
  reset_fleet
  peer+=("$(timed psql -q "$DATABASE_URL" -c "UPDATE devices SET rotation_state = 'QUEUED',
    rotation_queued_at = now() WHERE rotation_state = 'OK' AND active
    AND identity_kind IN ('local', 'keycloak')")")
done
queued=$(psql -qtA "$DATABASE_URL" -c "SELECT count(*) FROM devices WHERE rotation_state = 'QUEUED'")

t_full=$(printf '%s\n' "${full[@]}" | median)
t_steady=$(printf '%s\n' "${steady[@]}" | median)
t_status=$(printf '%s\n' "${status[@]}" | median)
t_peer=$(printf '%s\n' "${peer[@]}" | median)
printf 'fleet: %d devices (%d queued by the last peer run)\n' "$seeded" "$queued"
printf 'iot-rotate run, schedule fired (queue %d, start 10): median %.3f s over %d runs\n' "$seeded" "$t_full" "$runs"
printf 'iot-rotate run, steady state (window full, nothing due): median %.3f s\n' "$t_steady"
printf 'iot-rotate status: median %.3f s\n' "$t_status"
printf 'peer, psql running only the queueing UPDATE: median %.3f s\n' "$t_peer"
printf 'ratio full run / bare UPDATE: %.2f\n' "$(echo "$t_full / $t_peer" | bc -l)"

# The steady-state cycle's queries, with a fleet queued and a window in flight.
"$bin/iot-rotate" run >/dev/null
echo "--- EXPLAIN of the steady-state cycle's queries"
psql -q "$DATABASE_URL" <<'SQL'
\echo '-- time-outs: PENDING attempts older than the time-out (store/rotation.cpp claim_timed_out)'
EXPLAIN (COSTS OFF) SELECT d.id FROM devices d JOIN device_models m ON m.id = d.model_id
  WHERE d.rotation_state = 'PENDING' AND d.rotation_attempt_at <= now() - interval '300 seconds'
  AND d.id <> ALL('{}'::bigint[]) ORDER BY d.rotation_attempt_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED;
\echo '-- start: the QUEUED device with the oldest credential (claim_next_start)'
EXPLAIN (COSTS OFF) SELECT d.id FROM devices d JOIN device_models m ON m.id = d.model_id
  WHERE d.rotation_state = 'QUEUED' AND d.id <> ALL('{}'::bigint[])
  ORDER BY d.secret_created_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED;
\echo '-- start: a TIMEOUT device whose back-off ended (claim_next_start)'
EXPLAIN (COSTS OFF) SELECT d.id FROM devices d JOIN device_models m ON m.id = d.model_id
  WHERE d.rotation_state = 'TIMEOUT' AND d.next_attempt_at <= now() AND d.id <> ALL('{}'::bigint[])
  ORDER BY d.next_attempt_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED;
\echo '-- the window: PENDING count (count_pending)'
EXPLAIN (COSTS OFF) SELECT count(*) FROM devices WHERE rotation_state = 'PENDING';
SQL
