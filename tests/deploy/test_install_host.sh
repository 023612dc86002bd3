#!/usr/bin/env bash
# scripts/install-host.sh into a throwaway root, twice: the first run writes the install, the
# second changes nothing (same bytes, same modification times, same generated secrets); a
# dry run writes nothing at all.
set -euo pipefail
src=$1 build=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
install() { bash "$src/scripts/install-host.sh" --root "$dir/root" --build "$build" --domain iot.example.lan "$@" 2>"$dir/log"; }
snapshot() { (cd "$dir/root" && find . -type f -printf '%p %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort); }

out=$(install --dry-run)
[[ ! -e "$dir/root" ]] || fail "--dry-run wrote files: $(find "$dir/root" | head)"
grep -q "would make" <<<"$out" || fail "--dry-run printed no plan: $out"

out=$(install)
grep -q "^made [0-9]* change(s)" <<<"$out" || fail "first run: $out"
env_file="$dir/root/etc/iot-fleet-toolkit/iot-fleet.env"
[[ $(stat -c %a "$env_file") == 600 ]] || fail "the environment file is not 0600"
grep -q '^IOT_SECRET_KEY=k1:' "$env_file" || fail "no generated IOT_SECRET_KEY"
grep -q '^IOT_SECRET_PEPPER=' "$env_file" || fail "no generated IOT_SECRET_PEPPER"
! grep -q 'IOT_CA_PASSPHRASE\|IOT_DB_PASSWORD' "$env_file" || fail "installer-only secrets leak into the services' environment"
for f in usr/local/bin/iot-rotate usr/local/bin/iot-serve etc/systemd/system/iot-serve.service etc/systemd/system/iot-rotate.timer; do
  [[ -f "$dir/root/$f" ]] || fail "missing $f"
done
! grep -q "IOT_SECRET\|k1:" "$dir/log" || fail "a secret was logged"

before=$(snapshot)
sleep 1  # a rewrite would show in the modification times
out=$(install)
[[ "$out" == "nothing changed" ]] || fail "second run changed something: $out"
[[ "$(snapshot)" == "$before" ]] || fail "second run touched files"
out=$(install --dry-run)
[[ "$out" == "nothing changed" ]] || fail "dry run after an install plans changes: $out"

# An edited unit is put back, and only it.
echo "# local edit" >> "$dir/root/etc/systemd/system/iot-serve.service"
out=$(install)
grep -q "1 change(s)" <<<"$out" && grep -q "iot-serve.service" <<<"$out" || fail "repair: $out"
echo "install-host: idempotent"
