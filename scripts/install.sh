#!/usr/bin/env bash
# One command for a Kubernetes install of the toolkit (issue 9), re-runnable: every step looks
# before it acts, so a second run changes nothing, and --dry-run prints the same plan each time.
#
#   scripts/install.sh --domain example.org --cert controller.crt [--namespace iot]
#                      [--overlay single-node|multi-replica] [--workdir iot-install]
#                      [--import-ca-cert ca.crt --import-ca-key ca.key] [--dry-run]
#
# Steps, in order:
#   1. the device CA in WORKDIR/pki/ca: kept when present, else imported (--import-ca-*) or
#      created; its passphrase from IOT_CA_PASSPHRASE, else generated into WORKDIR/pki/ca.password
#   2. the broker's server certificate for mqtt.DOMAIN in WORKDIR/pki/broker (kept when present)
#   3. the secrets plan (k8s/secrets/toolkit-plan.yaml for NAMESPACE) sealed with the controller
#      certificate by `iot-seal plan apply` (values from the environment it names)
#   4. the overlay rendered with `kubectl kustomize`, its SealedSecret placeholders replaced by
#      the sealed files, written to WORKDIR/install.yaml only when it changed
#
# Nothing is applied to a cluster: `kubectl apply -f WORKDIR/install.yaml` (or Argo CD) does that.
# Executables come from PATH, or IOT_BIN_DIR when set. Exit status: 0 done (or, with --dry-run,
# the plan printed), 1 a step failed, 2 usage.
set -euo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: error: $*" >&2; exit 1; }
usage_error() { echo "install.sh: $*" >&2; echo "see 'scripts/install.sh --help'" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
domain="" namespace=iot overlay=single-node workdir=iot-install cert="" dry_run=0
import_cert="" import_key=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --domain) domain=${2:-}; shift 2 ;;
    --namespace) namespace=${2:-}; shift 2 ;;
    --overlay) overlay=${2:-}; shift 2 ;;
    --workdir) workdir=${2:-}; shift 2 ;;
    --cert) cert=${2:-}; shift 2 ;;
    --import-ca-cert) import_cert=${2:-}; shift 2 ;;
    --import-ca-key) import_key=${2:-}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
[[ -n "$domain" ]] || usage_error "missing --domain (the broker's certificate is for mqtt.DOMAIN)"
[[ -n "$cert" ]] || usage_error "missing --cert (the sealed-secrets controller's certificate: iot-seal --fetch-cert)"
[[ -f "$cert" ]] || usage_error "--cert '$cert' is not a file"
[[ "$namespace" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || usage_error "--namespace '$namespace' is not a DNS label"
[[ -d "$root/k8s/overlays/$overlay" ]] || usage_error "--overlay must be single-node or multi-replica, not '$overlay'"
[[ -z "$import_cert" && -z "$import_key" ]] || [[ -f "$import_cert" && -f "$import_key" ]] ||
  usage_error "--import-ca-cert and --import-ca-key go together and must be files"

tool() {
  local t=$1
  if [[ -n "${IOT_BIN_DIR:-}" && -x "$IOT_BIN_DIR/$t" ]]; then echo "$IOT_BIN_DIR/$t"; return; fi
  command -v "$t" || die "$t not found (put it on PATH or set IOT_BIN_DIR)"
}
iot_cert=$(tool iot-cert)
iot_seal=$(tool iot-seal)
kubectl=$(tool kubectl)
cert=$(cd "$(dirname "$cert")" && pwd)/$(basename "$cert")

step() { printf '%-8s %s\n' "$1" "$2"; }
workdir=$(realpath -m "$workdir")
[[ $dry_run -eq 1 ]] || mkdir -p "$workdir"
pki="$workdir/pki"

# 1. The device CA.
if [[ -f "$pki/ca/ca.crt" ]]; then
  step keep "device CA ($pki/ca)"
elif [[ $dry_run -eq 1 ]]; then
  step create "device CA ($pki/ca)${import_cert:+ imported from $import_cert}"
else
  mkdir -p "$pki"
  if [[ -z "${IOT_CA_PASSPHRASE:-}" && -z "${IOT_CA_PASSPHRASE_FILE:-}" ]]; then
    if [[ ! -f "$pki/ca.password" ]]; then
      (umask 077 && openssl rand -base64 32 > "$pki/ca.password")
    fi
    export IOT_CA_PASSPHRASE_FILE="$pki/ca.password"
  fi
  if [[ -n "$import_cert" ]]; then
    "$iot_cert" import-ca --cert "$import_cert" --key "$import_key" --out "$pki/ca" >/dev/null
  else
    "$iot_cert" ca init --out "$pki/ca" >/dev/null
  fi
  step create "device CA ($pki/ca)"
fi
if [[ -z "${IOT_CA_PASSPHRASE:-}" && -z "${IOT_CA_PASSPHRASE_FILE:-}" && -f "$pki/ca.password" ]]; then
  export IOT_CA_PASSPHRASE_FILE="$pki/ca.password"
fi
# iot-rotate signs rotated device certificates in the cluster: the plan seals the passphrase from
# pki/ca.password, so a passphrase given in the environment is kept there too (0600).
if [[ $dry_run -eq 0 && ! -f "$pki/ca.password" ]]; then
  if [[ -n "${IOT_CA_PASSPHRASE_FILE:-}" ]]; then
    (umask 077 && cp "$IOT_CA_PASSPHRASE_FILE" "$pki/ca.password")
  elif [[ -n "${IOT_CA_PASSPHRASE:-}" ]]; then
    (umask 077 && printf '%s\n' "$IOT_CA_PASSPHRASE" > "$pki/ca.password")
  fi
fi

# 2. The broker's server certificate.
if [[ -f "$pki/broker/server.crt" ]]; then
  step keep "broker certificate mqtt.$domain ($pki/broker)"
elif [[ $dry_run -eq 1 ]]; then
  step create "broker certificate mqtt.$domain ($pki/broker)"
else
  "$iot_cert" issue server --ca "$pki/ca" --cn "mqtt.$domain" --san "DNS:mqtt.$domain" \
    --out "$pki/broker" >/dev/null
  step create "broker certificate mqtt.$domain ($pki/broker)"
fi

# 3. The secrets plan, for this namespace, beside the CA certificate it seals.
plan="$workdir/toolkit-plan.yaml"
new_plan=$(sed "s/^\(    namespace:\) iot$/\1 $namespace/" "$root/k8s/secrets/toolkit-plan.yaml")
if [[ -f "$plan" && "$(cat "$plan")" == "$new_plan" ]]; then
  step keep "secrets plan ($plan)"
elif [[ $dry_run -eq 1 ]]; then
  step write "secrets plan ($plan)"
else
  printf '%s\n' "$new_plan" > "$plan"
  step write "secrets plan ($plan)"
fi
if [[ $dry_run -eq 1 ]]; then
  if [[ ! -f "$pki/ca/ca.crt" ]]; then
    step seal "every Secret of the plan (after the CA exists)"
  elif [[ ! -f "$plan" ]] || ! "$iot_seal" plan check "$plan" --cert "$cert" >/dev/null 2>&1; then
    step seal "the Secrets of the plan that changed ($workdir/sealed)"
  else
    step keep "sealed Secrets ($workdir/sealed)"
  fi
else
  mkdir -p "$pki" && cp -p "$pki/ca/ca.crt" "$workdir/pki/ca.crt.new"
  if ! cmp -s "$workdir/pki/ca.crt.new" "$workdir/pki/ca.crt" 2>/dev/null; then
    mv "$workdir/pki/ca.crt.new" "$workdir/pki/ca.crt"
  else
    rm -f "$workdir/pki/ca.crt.new"
  fi
  summary=$("$iot_seal" plan apply "$plan" --cert "$cert" | tail -n 1) || die "sealing the secrets plan failed"
  case "$summary" in
    *" 0 written"*" 0 values generated"*) step keep "sealed Secrets ($workdir/sealed)" ;;
    *) step seal "$summary" ;;
  esac
fi

# 4. The overlay, with the sealed Secrets in place of the placeholders.
merge_sealed=$(cat <<'PY'
import glob, os, sys, yaml
namespace, sealed_dir = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
sealed = {}
for path in sorted(glob.glob(os.path.join(sealed_dir, "*.yaml"))):
    for d in yaml.safe_load_all(open(path)):
        if d:
            sealed[d["metadata"]["name"]] = d
out = []
for d in docs:
    d.setdefault("metadata", {})["namespace"] = namespace
    if d["kind"] == "SealedSecret" and "iot-fleet-toolkit/placeholder" in (d["metadata"].get("annotations") or {}):
        d = sealed.get(d["metadata"]["name"], d)
    out.append(d)
print(yaml.safe_dump_all(out, sort_keys=True), end="")
PY
)
render() {
  "$kubectl" kustomize "$root/k8s/overlays/$overlay" 2>/dev/null |
    /usr/bin/python3 -c "$merge_sealed" "$namespace" "$workdir/sealed/$namespace"
}
rendered=$(render) || die "rendering k8s/overlays/$overlay failed"
if [[ -f "$workdir/install.yaml" && "$(cat "$workdir/install.yaml")" == "$rendered" ]]; then
  step keep "manifests ($workdir/install.yaml)"
elif [[ $dry_run -eq 1 ]]; then
  step write "manifests ($workdir/install.yaml, overlay $overlay, namespace $namespace)"
else
  printf '%s\n' "$rendered" > "$workdir/install.yaml.tmp" && mv "$workdir/install.yaml.tmp" "$workdir/install.yaml"
  step write "manifests ($workdir/install.yaml, overlay $overlay, namespace $namespace)"
fi
if [[ $dry_run -eq 0 ]] && grep -q "PLACEHOLDER-sealed-by-iot-seal" "$workdir/install.yaml"; then
  die "$workdir/install.yaml still holds placeholder Secrets: check the sealed files in $workdir/sealed/$namespace"
fi
