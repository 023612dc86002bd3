#!/usr/bin/env bash
# Throwaway PostgreSQL and Mosquitto for tests and the quickstart, on loopback, random ports.
#
#   scripts/services.sh start   start both (initdb in a fresh temporary folder); prints the env
#   scripts/services.sh env     print the environment to use them: eval "$(scripts/services.sh env)"
#   scripts/services.sh stop    stop both and remove their data
#   scripts/services.sh status
#
# State lives in $IOT_SERVICES_DIR (default: .services/ in the project); each checkout has its
# own, so several runs can coexist. PostgreSQL refuses to run as root: as root, the server runs
# as the 'postgres' user that Debian's package creates.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${IOT_SERVICES_DIR:-$root/.services}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)

die() { echo "services.sh: $*" >&2; exit 1; }

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

print_env() {
  [[ -f "$state/env" ]] || die "not running (no $state/env): run 'scripts/services.sh start'"
  cat "$state/env"
}

start() {
  if [[ -f "$state/env" ]] && status >/dev/null 2>&1; then print_env; return; fi
  stop >/dev/null 2>&1 || true
  [[ -n "$pgbin" && -x "$pgbin/initdb" ]] || die "PostgreSQL server binaries not found: run scripts/setup.sh"
  command -v mosquitto >/dev/null || [[ -x /usr/sbin/mosquitto ]] || die "mosquitto not found: run scripts/setup.sh"
  mkdir -p "$state"
  local tmp; tmp=$(mktemp -d /tmp/iotfleet-services.XXXXXX)
  chmod 755 "$tmp"
  echo "$tmp" > "$state/dir"
  local pgport mqport; pgport=$(free_port); mqport=$(free_port)

  # PostgreSQL: trust authentication is fine for a throwaway cluster bound to loopback only.
  mkdir -p "$tmp/pg" "$tmp/pgsock"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$tmp/pg" "$tmp/pgsock"
  as_pg "'$pgbin/initdb' -D '$tmp/pg/data' -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >'$tmp/pg/initdb.log' 2>&1" \
    || { cat "$tmp/pg/initdb.log" >&2; die "initdb failed"; }
  as_pg "'$pgbin/pg_ctl' -D '$tmp/pg/data' -l '$tmp/pg/server.log' -w -t 30 start \
    -o \"-c listen_addresses=127.0.0.1 -c port=$pgport -c unix_socket_directories='$tmp/pgsock' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" >/dev/null" \
    || { cat "$tmp/pg/server.log" >&2; die "PostgreSQL did not start"; }
  "$pgbin/psql" -q -h 127.0.0.1 -p "$pgport" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE iotfleet LOGIN CREATEDB" -c "CREATE DATABASE iotfleet OWNER iotfleet" >/dev/null

  # Mosquitto: started as root it drops to the 'mosquitto' user, which must read its files.
  mkdir -p "$tmp/mqtt"
  cat > "$tmp/mqtt/mosquitto.conf" <<CONF
listener $mqport 127.0.0.1
allow_anonymous true
persistence false
pid_file $tmp/mqtt/mosquitto.pid
log_dest file $tmp/mqtt/mosquitto.log
CONF
  if [[ $(id -u) -eq 0 ]]; then chown -R mosquitto: "$tmp/mqtt" 2>/dev/null || true; fi
  /usr/sbin/mosquitto -c "$tmp/mqtt/mosquitto.conf" -d
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$mqport") 2>/dev/null && break
    sleep 0.1
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$mqport") 2>/dev/null || { cat "$tmp/mqtt/mosquitto.log" >&2 || true; die "Mosquitto did not start"; }

  cat > "$state/env" <<ENV
export DATABASE_URL='postgresql://iotfleet@127.0.0.1:$pgport/iotfleet'
export IOT_TEST_PG_ADMIN_URL='postgresql://postgres@127.0.0.1:$pgport/postgres'
export MQTT_URL='mqtt://127.0.0.1:$mqport'
export IOT_SERVICES_DIR='$state'
ENV
  print_env
}

status() {
  [[ -f "$state/dir" ]] || { echo "stopped"; return 1; }
  local tmp; tmp=$(cat "$state/dir")
  as_pg "'$pgbin/pg_ctl' -D '$tmp/pg/data' status >/dev/null 2>&1" || { echo "postgresql: stopped"; return 1; }
  [[ -f "$tmp/mqtt/mosquitto.pid" ]] && kill -0 "$(cat "$tmp/mqtt/mosquitto.pid")" 2>/dev/null \
    || { echo "mosquitto: stopped"; return 1; }
  echo "running"
}

stop() {
  [[ -f "$state/dir" ]] || return 0
  local tmp; tmp=$(cat "$state/dir")
  if [[ -d "$tmp/pg/data" ]]; then
    as_pg "'$pgbin/pg_ctl' -D '$tmp/pg/data' -m fast -w stop >/dev/null 2>&1" || true
  fi
  if [[ -f "$tmp/mqtt/mosquitto.pid" ]]; then
    kill "$(cat "$tmp/mqtt/mosquitto.pid")" 2>/dev/null || true
  fi
  [[ "$tmp" == /tmp/iotfleet-services.* ]] && rm -rf "$tmp"
  rm -f "$state/dir" "$state/env"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  status) status ;;
  *) echo "usage: scripts/services.sh start|stop|env|status" >&2; exit 2 ;;
esac
