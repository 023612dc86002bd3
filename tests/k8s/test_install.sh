#!/usr/bin/env bash
# scripts/install.sh end to end with the real iot-cert, iot-seal and kubectl: --dry-run twice
# prints the same plan and writes nothing; the first run creates everything; the second changes
# no file and says so; a changed input re-seals only what it feeds.
#   test_install.sh BIN_DIR KUBECTL
set -euo pipefail
bin_dir=$1 kubectl=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/tools"
ln -s "$kubectl" "$tmp/tools/kubectl"
export PATH="$tmp/tools:$PATH" IOT_BIN_DIR="$bin_dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ctl.key" -out "$tmp/ctl.crt" -days 30 \
  -subj /CN=sealed-secret >/dev/null 2>&1
export IOT_DATABASE_URL=postgresql://iot@db/iot IOT_SERVE_DATABASE_URL=postgresql://serve@db/iot
export IOT_SECRET_KEY=k1:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=
export IOT_SECRET_PEPPER=cGVwcGVycGVwcGVycGVwcGVycGVwcGVycGVwcGVyMTI=
export KEYCLOAK_ADMIN_USERNAME=admin KEYCLOAK_ADMIN_PASSWORD=realm-admin-pw-1 OS2IOT_ADMIN_PASSWORD=os2iot-pw-1
unset IOT_CA_PASSPHRASE IOT_CA_PASSPHRASE_FILE
install=("$root/scripts/install.sh" --domain example.org --cert "$tmp/ctl.crt" --namespace fleet
         --overlay multi-replica --workdir "$tmp/w")
hashes() { (cd "$tmp/w" && find . -type f -exec sha256sum {} + | sort); }

# Usage errors.
set +e
"$root/scripts/install.sh" --cert "$tmp/ctl.crt" >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "missing --domain is not exit 2"
"$root/scripts/install.sh" --domain x --cert "$tmp/ctl.crt" --overlay huge >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "bad --overlay is not exit 2"
set -e

# Dry runs: the same plan twice, nothing written.
"${install[@]}" --dry-run > "$tmp/dry1"
"${install[@]}" --dry-run > "$tmp/dry2"
cmp -s "$tmp/dry1" "$tmp/dry2" || fail "two dry runs differ: $(diff "$tmp/dry1" "$tmp/dry2")"
[[ ! -e "$tmp/w" ]] || fail "--dry-run wrote $tmp/w"
grep -q '^create   device CA' "$tmp/dry1" || fail "the dry run does not plan the CA: $(cat "$tmp/dry1")"

# First run: everything created, the placeholders replaced by sealed Secrets in the namespace.
"${install[@]}" > "$tmp/run1"
grep -q '^seal ' "$tmp/run1" || fail "the first run sealed nothing: $(cat "$tmp/run1")"
[[ -f "$tmp/w/install.yaml" ]] || fail "no install.yaml"
! grep -q PLACEHOLDER "$tmp/w/install.yaml" || fail "install.yaml still holds placeholders"
[[ $(grep -c '^kind: SealedSecret' "$tmp/w/install.yaml") -eq 8 ]] || fail "not 8 SealedSecrets"
grep -q 'name: iot-device-ca-signing' "$tmp/w/install.yaml" || fail "iot-rotate has no CA to sign rotated certificates with"
! grep -q 'namespace: iot$' "$tmp/w/install.yaml" || fail "an object kept the namespace iot"
grep -q 'replicas: 3' "$tmp/w/install.yaml" || fail "not the multi-replica overlay"
[[ $(stat -c %a "$tmp/w/pki/ca.password") == 600 ]] || fail "the CA passphrase is not 0600"
openssl verify -CAfile "$tmp/w/pki/ca/ca.crt" "$tmp/w/pki/broker/server.crt" >/dev/null ||
  fail "the broker certificate does not chain to the CA"
before=$(hashes)

# Second run: nothing changes, and it says so; a dry run now plans nothing.
"${install[@]}" > "$tmp/run2"
! grep -qv '^keep ' "$tmp/run2" || fail "the second run changed something: $(cat "$tmp/run2")"
[[ "$(hashes)" == "$before" ]] || fail "the second run rewrote files"
"${install[@]}" --dry-run > "$tmp/dry3"
! grep -qv '^keep ' "$tmp/dry3" || fail "a dry run after install plans changes: $(cat "$tmp/dry3")"

# A changed input: only the Secret it feeds is sealed again; the CA and certificates stay.
export IOT_DATABASE_URL=postgresql://iot@db2/iot
"${install[@]}" --dry-run > "$tmp/dry4"
grep -q '^seal ' "$tmp/dry4" || fail "the dry run misses the changed database URL: $(cat "$tmp/dry4")"
"${install[@]}" > "$tmp/run3"
grep -q '1 written' "$tmp/run3" || fail "not exactly one Secret re-sealed: $(cat "$tmp/run3")"
grep -q '^keep     device CA' "$tmp/run3" || fail "the CA was touched"
echo "install.sh: dry runs identical, second run changed nothing, a changed input re-sealed one Secret"
