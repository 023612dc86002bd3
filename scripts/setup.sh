#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run its demo.
# Idempotent and quiet when everything is already there. Run as root (or with sudo).
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config git
  # libraries (see ../shared/DEPENDENCIES.md for versions)
  libpqxx-dev libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  libpaho-mqtt-dev libboost-dev libyaml-cpp-dev libvalijson-dev libzip-dev
  # time zones for cron schedules: libcctz reads the system tz database that tzdata installs
  libcctz-dev tzdata
  # tests
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # the rv32 compile check of firmware/core (bare-metal RISC-V g++, picolibc, C++ headers)
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf libstdc++-12-dev-riscv64-cross
  # benchmarks of iot-serve: nginx and wrk as the peer and the load generator
  nginx wrk
  # real services the tests and the quickstart start on loopback
  postgresql postgresql-client mosquitto mosquitto-clients
  # test helpers (the Keycloak stand-in, the croniter differential test) run on Debian's python3
  python3 python3-jwt python3-cryptography python3-croniter
  # the manifest tests (tests/k8s) read YAML with Debian's python3
  python3-yaml
  # scripts
  procps iproute2 ca-certificates openssl bc time
  # single-host deployment: systemd-analyze verifies the units in systemd/
  systemd
)

# kubectl for the manifest tests (`kubectl kustomize`): Debian's kubernetes-client, unless a
# kubectl from another package (Google's) already owns /usr/bin/kubectl, which it would clash with.
command -v kubectl >/dev/null || packages+=(kubernetes-client)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "setup.sh: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
