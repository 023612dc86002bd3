#!/usr/bin/env bash
# Issues N device certificates (default 1,000) with `iot-cert issue device`, one process per
# certificate as an install script runs it, against the peer measured in the same run: the
# equivalent pair of openssl commands per certificate (`openssl req -newkey ec` for the P-256 key
# and CSR, then `openssl x509 -req` signing it with the same encrypted CA key, a random 128-bit
# serial and the same extensions). Prints the median time per certificate and the total of each,
# their ratio, and the time of `iot-cert list` over the N certificates (median of 5).
#
#   tests/bench/bench_cert_issue.sh [--count N] [--bin DIR]
# DIR holds the built iot-cert (default build/bin). Needs bash 5 ($EPOCHREALTIME), openssl, bc.
# The openssl loop's serials come from $RANDOM (not a CSPRNG; fine for timing only).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=1000 bin="$root/build/bin"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "usage: $(basename "$0") [--count N] [--bin DIR]" >&2; exit 2 ;;
  esac
done
[[ -x "$bin/iot-cert" ]] || { echo "bench: $bin/iot-cert not built" >&2; exit 1; }
bin=$(cd "$bin" && pwd)

work=$(mktemp -d /tmp/iotfleet-bench-cert.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
export IOT_CA_PASSPHRASE="bench passphrase $(openssl rand -hex 8)"
"$bin/iot-cert" ca init --out ca >/dev/null

cat > device.ext <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EXT

# Timestamps are kept as "start end" pairs and turned into milliseconds after the loops, so no
# helper process runs inside a timed loop. (A locale with a decimal comma is handled by tr.)
now() { echo "${EPOCHREALTIME/,/.}"; }
export LC_ALL=C
durations() { tr ',' '.' | awk '{printf "%.3f\n", ($2 - $1) * 1000}'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

ours=() peer=()
mkdir -p out peer
start_ours=$(now)
for i in $(seq "$count"); do
  printf -v key 'b%07d' "$i"
  t0=$EPOCHREALTIME
  "$bin/iot-cert" issue device "$key" --ca ca --out out >/dev/null
  ours+=("$t0 $EPOCHREALTIME")
done
end_ours=$(now)

start_peer=$(now)
for i in $(seq "$count"); do
  printf -v key 'b%07d' "$i"
  printf -v serial '%04x%04x%04x%04x%04x%04x%04x%04x' $((RANDOM)) $((RANDOM)) $((RANDOM)) \
    $((RANDOM)) $((RANDOM)) $((RANDOM)) $((RANDOM)) $((RANDOM))
  t0=$EPOCHREALTIME
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "peer/$key.key" \
    -out "peer/$key.csr" -subj "/CN=$key" 2>/dev/null
  openssl x509 -req -in "peer/$key.csr" -CA ca/ca.crt -CAkey ca/ca.key -passin env:IOT_CA_PASSPHRASE \
    -set_serial "0x$serial" -days 365 -sha256 -extfile device.ext \
    -out "peer/$key.crt" 2>/dev/null
  peer+=("$t0 $EPOCHREALTIME")
done
end_peer=$(now)

# Both made what they should: spot-check the last certificate of each against the CA.
last=$(printf 'b%07d' "$count")
openssl verify -CAfile ca/ca.crt -purpose sslclient "out/$last.crt" "peer/$last.crt" >/dev/null

lists=()
for _ in 1 2 3 4 5; do
  t0=$EPOCHREALTIME
  "$bin/iot-cert" list --ca ca --output json >/dev/null
  lists+=("$t0 $EPOCHREALTIME")
done
listed=$("$bin/iot-cert" list --ca ca --output json | grep -c '"serial"')

m_ours=$(printf '%s\n' "${ours[@]}" | durations | median)
m_peer=$(printf '%s\n' "${peer[@]}" | durations | median)
t_ours=$(echo "$end_ours - $start_ours" | bc -l)
t_peer=$(echo "$end_peer - $start_peer" | bc -l)
printf 'iot-cert issue device, %d certificates: median %.2f ms each, total %.2f s\n' "$count" "$m_ours" "$t_ours"
printf 'peer, openssl req + openssl x509 -req: median %.2f ms each, total %.2f s\n' "$m_peer" "$t_peer"
printf 'ratio iot-cert / openssl (total time): %.2f\n' "$(echo "$t_ours / $t_peer" | bc -l)"
printf 'iot-cert list over %d certificates: median %.1f ms of 5 runs\n' "$listed" \
  "$(printf '%s\n' "${lists[@]}" | durations | median)"
