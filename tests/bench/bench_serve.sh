#!/usr/bin/env bash
# iot-serve against nginx in the same run (issue 4), one line per figure:
#   1. /iot/config with a valid bearer JWT (Keycloak stand-in token, verified, device looked up)
#      at 256 connections vs nginx serving the same JSON as a static file: requests/s, ratio, p99;
#   2. /iot/firmware, a 1.5 MB image, vs nginx with `sendfile on`: throughput ratio;
#   3. 10,000 idle keep-alive connections held by iot-serve: its resident memory.
#
#   tests/bench/bench_serve.sh [--bin DIR] [--duration SECONDS]
# DIR holds a Release build of iot-serve and iot-provision (default build-bench/bin). Installs
# nginx and wrk from Debian when they are missing. Uses the services of scripts/services.sh
# (DATABASE_URL, IOT_TEST_PG_ADMIN_URL) or starts throwaway ones.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/build-bench/bin" duration=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for exe in iot-serve iot-provision; do
  [[ -x "$bin/$exe" ]] || { echo "bench: $bin/$exe not built" >&2; exit 1; }
done
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx wrk >/dev/null
fi
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/iotfleet-bench-serve.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  [[ -n "${db:-}" ]] && psql -q "$IOT_TEST_PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
  [[ -n "${own_services:-}" ]] && "$root/scripts/services.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z "${DATABASE_URL:-}" ]]; then
  own_services=1  # only services this script started are stopped at the end
  export IOT_SERVICES_DIR="$work/services"
  eval "$("$root/scripts/services.sh" start)"
fi
db="bench_serve_$$"
psql -q "$IOT_TEST_PG_ADMIN_URL" -c "CREATE DATABASE $db OWNER iotfleet"
export DATABASE_URL="${DATABASE_URL%/*}/$db"
export IOT_SECRET_KEY="k1:$(openssl rand -base64 32)" IOT_SECRET_PEPPER="$(openssl rand -base64 32)"
"$bin/iot-provision" migrate >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The Keycloak stand-in issues the device's token (signed by python-jwt).
/usr/bin/python3 "$root/tests/support/keycloak_standin.py" --port-file "$work/kc.port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/kc.port" ]] && break; sleep 0.1; done
kc="http://127.0.0.1:$(cat "$work/kc.port")"
export KEYCLOAK_BASE_URL="$kc" KEYCLOAK_REALM=iot KEYCLOAK_ADMIN_CLIENT_ID=iot-admin \
       KEYCLOAK_ADMIN_CLIENT_SECRET=admin-secret-for-tests
"$bin/iot-provision" model create --code bench --name Bench >/dev/null
printf '{"interval":60,"mode":"bench"}' > "$work/config.json"
key=$("$bin/iot-provision" device create --model bench --identity keycloak --config "$work/config.json" --output json |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print((d[0] if isinstance(d,list) else d["devices"][0])["key"])')
secret=$("$bin/iot-provision" package "$key" --base-url http://x --device-mqtt-url mqtt://x --wifi-ssid x \
         --token-url "$kc/realms/iot/protocol/openid-connect/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
token=$(curl -sf -d grant_type=client_credentials -d "client_id=iotdevice-bench-$key" --data-urlencode "client_secret=$secret" \
        "$kc/realms/iot/protocol/openid-connect/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# A 1.5 MB image stored like iot-firmware stores one (content-addressed), without validation.
head -c 1572864 /dev/urandom > "$work/firmware.bin"
python3 - "$work/firmware.bin" "$work/firmware.sql" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
h = hashlib.sha256(data).hexdigest()
open(sys.argv[2], "w").write(
    f"INSERT INTO firmware_images (sha256, size, data) VALUES (decode('{h}','hex'), {len(data)}, decode('{data.hex()}','hex'));\n"
    f"INSERT INTO firmware_versions (model_id, version, sha256, size, chip, uploaded_by) SELECT id, '1.0.0', decode('{h}','hex'), {len(data)}, 'esp32', 'bench' FROM device_models WHERE code = 'bench';\n")
PY
psql -q "$DATABASE_URL" -f "$work/firmware.sql"

serve_port=$(free_port)
OIDC_ISSUER_URL="$kc/realms/iot" OIDC_AUDIENCE=iot-api IOT_LOG_LEVEL=warn \
  "$bin/iot-serve" --listen "127.0.0.1:$serve_port" --auth jwt --db-role none --idle-timeout 600 \
  --max-connections 30000 2>"$work/serve.log" &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$serve_port/health/ready" >/dev/null && break; sleep 0.1; done
served=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$serve_port/iot/config")

# nginx with the same bytes as static files.
mkdir -p "$work/www/iot"
printf '%s' "$served" > "$work/www/iot/config"
cp "$work/firmware.bin" "$work/www/iot/firmware"
chmod -R a+rX "$work/www"
nginx_port=$(free_port)
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile 65536;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 20000; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 600;
  keepalive_requests 100000000;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$nginx_port/iot/config" >/dev/null && break; sleep 0.1; done

# wrk's "Requests/sec" and its 99th percentile in milliseconds.
measure() {  # url connections [header]
  local out
  if [[ -n "${3:-}" ]]; then out=$(wrk -t2 -c"$2" -d"${duration}s" --latency -H "$3" "$1")
  else out=$(wrk -t2 -c"$2" -d"${duration}s" --latency "$1"); fi
  local rps p99 unit
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  read -r p99 unit < <(awk '$1 == "99%" {v=$2; u=v; gsub(/[0-9.]/,"",u); gsub(/[a-z]/,"",v); print v, u}' <<<"$out")
  case "$unit" in us) p99=$(echo "$p99 / 1000" | bc -l) ;; s) p99=$(echo "$p99 * 1000" | bc -l) ;; esac
  echo "$rps $p99"
}
read -r ours_rps ours_p99 < <(measure "http://127.0.0.1:$serve_port/iot/config" 256 "Authorization: Bearer $token")
read -r nginx_rps nginx_p99 < <(measure "http://127.0.0.1:$nginx_port/iot/config" 256)
printf '/iot/config, bearer JWT, 256 connections: iot-serve %.0f req/s (p99 %.2f ms), nginx static %.0f req/s (p99 %.2f ms), ratio %.2f\n' \
  "$ours_rps" "$ours_p99" "$nginx_rps" "$nginx_p99" "$(echo "$ours_rps / $nginx_rps" | bc -l)"

read -r fw_rps _ < <(measure "http://127.0.0.1:$serve_port/iot/firmware" 32 "Authorization: Bearer $token")
read -r nfw_rps _ < <(measure "http://127.0.0.1:$nginx_port/iot/firmware" 32)
printf '/iot/firmware, 1.5 MB, 32 connections: iot-serve %.0f MB/s, nginx sendfile %.0f MB/s, ratio %.2f\n' \
  "$(echo "$fw_rps * 1.572864" | bc -l)" "$(echo "$nfw_rps * 1.572864" | bc -l)" "$(echo "$fw_rps / $nfw_rps" | bc -l)"

# 10,000 keep-alive connections, each after one request, then idle.
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$serve_pid/status")
read -r held rss < <(python3 - "$serve_port" "$serve_pid" <<'PY'
import socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
conns = []
for i in range(10000):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /health/live HTTP/1.1\r\nHost: bench\r\n\r\n")
    conns.append(s)
for s in conns:
    data = b""
    while b"ok\n" not in data:
        data += s.recv(4096)
time.sleep(2)
rss = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1]
alive = sum(1 for s in conns if s.fileno() >= 0)
print(f"{alive} {rss}")
for s in conns: s.close()
PY
)
printf '10,000 idle keep-alive connections: %d held, iot-serve resident memory %.1f MiB (%.1f MiB before)\n' \
  "$held" "$(echo "$rss / 1024" | bc -l)" "$(echo "$rss_before / 1024" | bc -l)"
