#!/usr/bin/env bash
# The main job on the embedded default, from nothing to flashable packages: installs what is
# missing, builds, starts a throwaway PostgreSQL and Mosquitto, migrates, creates a device model
# and three devices, and writes each device's provisioning package (JSON, NVS image, C header).
#
#   scripts/quickstart.sh           run it; the services are stopped at the end
#   scripts/quickstart.sh --keep    leave the services running to keep trying commands
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
keep=false
[[ "${1:-}" == "--keep" ]] && keep=true

say() { printf '\n==> %s\n' "$*"; }

say "installing what is missing"
"$root/scripts/setup.sh"
say "building"
build=${IOT_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target iot-provision iot-firmware >/dev/null
export PATH="$build/bin:$PATH"

say "starting a throwaway PostgreSQL and Mosquitto"
export IOT_SERVICES_DIR="$root/.services"
$keep || trap '"$root/scripts/services.sh" stop' EXIT
eval "$("$root/scripts/services.sh" start)"
echo "DATABASE_URL=$DATABASE_URL  MQTT_URL=$MQTT_URL"

# Secrets of the demo install: generated once, kept 0600 beside the packages, reused on re-runs.
out="$root/quickstart-out"
mkdir -p "$out"
if [[ ! -f "$out/secrets.env" ]]; then
  (umask 077 && cat > "$out/secrets.env" <<ENV
export IOT_SECRET_KEY='k1:$(openssl rand -base64 32)'
export IOT_SECRET_PEPPER='$(openssl rand -base64 32)'
ENV
  )
fi
source "$out/secrets.env"
export DEVICE_BASE_URL=${DEVICE_BASE_URL:-http://localhost:8080}
export DEVICE_MQTT_URL=${DEVICE_MQTT_URL:-${MQTT_URL}}
export WIFI_SSID=${WIFI_SSID:-quickstart-wifi}
export WIFI_PASSWORD=${WIFI_PASSWORD:-change-me-too}

say "iot-provision migrate"
iot-provision migrate

say "iot-provision model create --code env_sensor"
cat > "$out/env_sensor.schema.json" <<'JSON'
{"type": "object", "required": ["interval_s"],
 "properties": {"interval_s": {"type": "integer", "minimum": 10}, "unit": {"enum": ["C", "F"]}}}
JSON
iot-provision model create --code env_sensor --name "Environment sensor" \
  --config-schema "$out/env_sensor.schema.json" || [[ $? -eq 4 ]]

say "iot-provision device create --model env_sensor --count 3"
echo '{"interval_s": 300, "unit": "C"}' > "$out/env_sensor.config.json"
iot-provision device create --model env_sensor --count 3 --name greenhouse \
  --config "$out/env_sensor.config.json" --output json > "$out/devices.json"
keys=$(python3 -c 'import json,sys; print(" ".join(d["key"] for d in json.load(open(sys.argv[1]))))' "$out/devices.json")

say "iot-provision package KEY --format json|nvs|header"
for key in $keys; do
  iot-provision package "$key" --format json -o "$out/$key.json"
  iot-provision package "$key" --format nvs -o "$out/$key.nvs.bin"
  iot-provision package "$key" --format header -o "$out/$key.h"
done

say "the fleet"
iot-provision device list --model env_sensor

say "done: packages written to $out/"
ls -l "$out"
cat <<TXT

Flash a device's NVS image at its NVS partition offset, for example:
  esptool.py write_flash 0x9000 $out/<key>.nvs.bin
The files hold device secrets (mode 0600): keep them out of version control.
TXT
if $keep; then
  cat <<TXT
The services are still running. To keep going:
  eval "\$(scripts/services.sh env)"; source quickstart-out/secrets.env; export PATH="$build/bin:\$PATH"
Stop them with: scripts/services.sh stop
TXT
fi
