#!/usr/bin/env bash
# Installs the toolkit on one Debian machine without Kubernetes, idempotently: runtime packages,
# a system user, the executables, PostgreSQL role and database, an environment file with
# generated secrets (kept across re-runs, 0600), the device CA and the broker's certificate
# with a Mosquitto TLS listener, and the systemd units (iot-migrate, iot-serve, iot-rotate.timer).
# Every step compares before it writes; the summary lists what changed ("nothing changed" on a
# second run).
#
#   scripts/install-host.sh [--domain NAME] [--prefix /usr/local] [--build DIR]
#                           [--root DIR] [--dry-run]
#
#   --root DIR   write every file under DIR instead of / and skip what only a real host has
#                (packages, users, PostgreSQL, systemctl): for staging an image and for tests
#   --dry-run    print what would change, change nothing
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root="" dry_run=0 prefix=/usr/local build="$repo/build" domain=$(hostname -f 2>/dev/null || hostname)
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) root=$(realpath -m "$2"); shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --prefix) prefix=$2; shift 2 ;;
    --build) build=$(realpath -m "$2"); shift 2 ;;
    --domain) domain=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-host: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
real_host=$([[ -z "$root" ]] && echo 1 || echo 0)
if (( real_host )) && [[ $(id -u) -ne 0 ]] && (( ! dry_run )); then
  echo "install-host: run as root (or use --root DIR / --dry-run)" >&2; exit 2
fi
etc="$root/etc/iot-fleet-toolkit"
changes=()
note() { echo "install-host: $*" >&2; }
changed() { changes+=("$1"); note "$( (( dry_run )) && echo "would: " )$1"; }

# put DEST MODE < content (never at the end of a pipe: the summary would lose the change): writes DEST (under the root) only when its content or mode differ.
put() {
  local dest="$root$1" mode=$2 tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest" && [[ $(stat -c %a "$dest") == "$mode" ]]; then
    rm -f "$tmp"; return 0
  fi
  if (( dry_run )); then rm -f "$tmp"; changed "write $1"; return 0; fi
  mkdir -p "$(dirname "$dest")"
  chmod "$mode" "$tmp"
  mv "$tmp" "$dest"
  changed "write $1"
}

# --- 1. packages (real host only)
runtime_packages=(postgresql mosquitto curl openssl ca-certificates tzdata libpqxx-6.4 libcurl4
  libssl3 libpaho-mqtt1.3 libzip4 libcctz2)
if (( real_host )); then
  missing=()
  for p in "${runtime_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if (( ${#missing[@]} )); then
    (( dry_run )) || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }
    changed "install packages ${missing[*]}"
  fi
fi

# --- 2. executables (built here if needed)
if [[ ! -x "$build/bin/iot-serve" ]]; then
  if (( dry_run )); then changed "build the toolkit in $build"; else
    note "building the toolkit in $build (once)"
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DIOT_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j "$(nproc)" >/dev/null
  fi
fi
bin="$build/bin"
if [[ -x "$bin/iot-serve" ]]; then
  for exe in "$bin"/iot-*; do
    dest="$root$prefix/bin/$(basename "$exe")"
    cmp -s "$exe" "$dest" 2>/dev/null && continue
    (( dry_run )) || install -D -m 0755 "$exe" "$dest"
    changed "install $prefix/bin/$(basename "$exe")"
  done
fi

# --- 3. the service user (real host only)
if (( real_host )) && ! id iotfleet >/dev/null 2>&1; then
  (( dry_run )) || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin iotfleet
  changed "create system user iotfleet"
fi

# --- 4. settings and secrets: generated once, then kept
declare -A env
for f in "$etc/iot-fleet.env" "$etc/install-secrets.env"; do
  [[ -f "$f" ]] || continue
  while IFS= read -r line; do  # split at the first '=' only: base64 values end in '='
    k=${line%%=*}
    [[ "$k" =~ ^[A-Z_]+$ ]] && env[$k]=${line#*=}
  done < "$f"
done
keep() { [[ -n "${env[$1]:-}" ]] || env[$1]=$2; }
keep IOT_SECRET_KEY "k1:$(openssl rand -base64 32)"
keep IOT_SECRET_PEPPER "$(openssl rand -base64 32)"
keep IOT_DB_PASSWORD "$(openssl rand -hex 24)"
keep IOT_CA_PASSPHRASE "$(openssl rand -base64 33)"
keep DATABASE_URL "postgresql://iotfleet:${env[IOT_DB_PASSWORD]}@127.0.0.1:5432/iotfleet"
keep IOT_SERVE_LISTEN "0.0.0.0:8080"
keep IOT_SERVE_READY_URL "http://127.0.0.1:8080/health/ready"
keep DEVICE_BASE_URL "http://$domain:8080"
keep DEVICE_MQTT_URL "mqtts://$domain:8883"
keep MQTT_URL "mqtt://127.0.0.1:1883"
keep ROTATION_CRON "0 8 * * 6#1"
keep ROTATION_TZ "UTC"
# What only the installer needs (the database owner's password, the CA key's passphrase) stays
# out of the services' environment.
installer_only=" IOT_DB_PASSWORD IOT_CA_PASSPHRASE "
write_env() { # 1 = services, 0 = installer-only
  echo "# Written by scripts/install-host.sh; secrets are generated once and kept on re-runs."
  for k in $(printf '%s\n' "${!env[@]}" | sort); do
    [[ "$installer_only" == *" $k "* ]] && (( $1 )) && continue
    [[ "$installer_only" != *" $k "* ]] && (( ! $1 )) && continue
    echo "$k=${env[$k]}"
  done
}
put /etc/iot-fleet-toolkit/iot-fleet.env 600 < <(write_env 1)
put /etc/iot-fleet-toolkit/install-secrets.env 600 < <(write_env 0)

# --- 5. PostgreSQL role and database (real host only)
if (( real_host )); then
  pg() { su postgres -c "psql -qtAX -c \"$1\"" 2>/dev/null; }
  if ! PGPASSWORD="${env[IOT_DB_PASSWORD]}" psql -qtAX -h 127.0.0.1 -U iotfleet -d iotfleet -c 'SELECT 1' >/dev/null 2>&1; then
    if (( ! dry_run )); then
      if [[ -z "$(pg "SELECT 1 FROM pg_roles WHERE rolname = 'iotfleet'")" ]]; then
        pg "CREATE ROLE iotfleet LOGIN PASSWORD '${env[IOT_DB_PASSWORD]}'"
      else
        pg "ALTER ROLE iotfleet LOGIN PASSWORD '${env[IOT_DB_PASSWORD]}'"
      fi
      [[ -n "$(pg "SELECT 1 FROM pg_database WHERE datname = 'iotfleet'")" ]] || pg "CREATE DATABASE iotfleet OWNER iotfleet"
    fi
    changed "PostgreSQL role and database iotfleet"
  fi
fi

# --- 6. device CA, broker certificate, Mosquitto TLS listener
pki="/etc/iot-fleet-toolkit/pki"
if [[ -x "$bin/iot-cert" ]]; then
  export IOT_CA_PASSPHRASE="${env[IOT_CA_PASSPHRASE]}"
  if [[ ! -f "$root$pki/ca/ca.crt" ]]; then
    (( dry_run )) || "$bin/iot-cert" ca init --out "$root$pki/ca" --cn "IoT Device CA" >/dev/null
    changed "create the device CA in $pki/ca"
  fi
  if [[ ! -f "$root$pki/broker/server.crt" ]]; then
    (( dry_run )) || "$bin/iot-cert" issue server --ca "$root$pki/ca" --cn "$domain" \
      --san "DNS:$domain" --san "DNS:localhost" --san "IP:127.0.0.1" --out "$root$pki/broker" >/dev/null
    changed "issue the broker certificate for $domain"
  fi
  put /etc/mosquitto/conf.d/iot-fleet.conf 644 <<CONF
# Written by scripts/install-host.sh: devices connect with TLS on 8883; the toolkit's own
# clients use the loopback listener.
per_listener_settings true
listener 1883 127.0.0.1
allow_anonymous true
listener 8883
cafile $pki/ca/ca.crt
certfile $pki/broker/server.crt
keyfile $pki/broker/server.key
require_certificate false
allow_anonymous false
password_file /etc/mosquitto/iot-fleet.passwd
acl_file /etc/mosquitto/iot-fleet.acl
CONF
  # Filled by `iot-provision mqtt export`; empty until devices exist, so Mosquitto starts.
  for f in /etc/mosquitto/iot-fleet.passwd /etc/mosquitto/iot-fleet.acl; do
    [[ -f "$root$f" ]] || put "$f" 640 < /dev/null
  done
  if (( real_host && ! dry_run )); then
    chgrp -R mosquitto "$pki/broker" /etc/mosquitto/iot-fleet.passwd /etc/mosquitto/iot-fleet.acl
    chmod 0640 "$pki/broker/server.key"
  fi
else
  note "iot-cert is not built: skipping the CA, the broker certificate and Mosquitto's TLS listener"
fi

# --- 7. systemd units
for unit in "$repo"/systemd/*.service "$repo"/systemd/*.timer; do
  put "/etc/systemd/system/$(basename "$unit")" 644 \
    < <(sed "s|/usr/local/bin/|$prefix/bin/|g; s|/usr/local/share/|$prefix/share/|g" "$unit")
done
if (( real_host && ! dry_run )); then
  if [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    for u in iot-migrate.service iot-serve.service iot-rotate.timer; do
      systemctl is-enabled --quiet "$u" || { systemctl enable --now "$u"; changed "enable $u"; }
    done
  else
    note "systemd is not running here: start iot-migrate, iot-serve and iot-rotate.timer yourself"
  fi
fi

# --- summary
if (( ${#changes[@]} == 0 )); then
  echo "nothing changed"
else
  printf '%s %d change(s):\n' "$( (( dry_run )) && echo "would make" || echo "made")" "${#changes[@]}"
  printf '  %s\n' "${changes[@]}"
fi
