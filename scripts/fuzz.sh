#!/usr/bin/env bash
# Builds one libFuzzer target with Debian's clang (ASan + UBSan) and runs it for a while.
#
#   scripts/fuzz.sh TARGET [--seconds N] [--fixtures DIR] [-- libFuzzer options...]
#
# TARGET is the part of tests/fuzz/fuzz_TARGET.cpp after "fuzz_". The binary goes to
# build-fuzz/; the run starts from a temporary corpus seeded with the target's fixtures, and any
# crashing input is kept in build-fuzz/artifacts/TARGET/. Exits non-zero on a finding, on a build
# failure, and when clang or its libFuzzer runtime is missing: it never skips.
# Needs the Debian packages clang and libclang-rt-14-dev (scripts/setup.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() {
  echo "usage: scripts/fuzz.sh TARGET [--seconds N] [--fixtures DIR] [-- libFuzzer options...]" >&2
  echo "targets: $(cd "$root/tests/fuzz" && ls fuzz_*.cpp | sed 's/^fuzz_//; s/\.cpp$//' | tr '\n' ' ')" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
target="$1"
shift
seconds=60
fixtures="$root/../shared/fixtures"
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) [[ $# -ge 2 ]] || usage; seconds="$2"; shift 2 ;;
    --fixtures) [[ $# -ge 2 ]] || usage; fixtures="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "fuzz.sh: --seconds needs a positive integer" >&2; exit 2; }

# Per target: the library sources it needs (compiled directly, no CMake) and its seed files.
case "$target" in
  firmware_image)
    sources=(lib/firmware/chips.cpp lib/firmware/image.cpp lib/firmware/image_report.cpp
             lib/core/digest.cpp lib/core/encoding.cpp lib/core/error.cpp lib/core/files.cpp lib/core/random.cpp)
    seeds=("$fixtures"/esp32/*.bin)
    ;;
  jwt)
    # Seeds and the JWKS that verifies them come from tests/fixtures/jwt/make_seeds.py.
    sources=(lib/auth/authenticator.cpp lib/auth/basic.cpp lib/auth/jwk.cpp lib/auth/jwks.cpp lib/auth/jwt.cpp
             lib/auth/rejection.cpp lib/auth/verifier.cpp lib/idp/client_id.cpp lib/idp/local.cpp
             lib/core/clock.cpp lib/core/config.cpp lib/core/device_key.cpp lib/core/encoding.cpp lib/core/error.cpp
             lib/core/files.cpp lib/core/random.cpp lib/core/secret_box.cpp)
    headers=("lib/auth/*.hpp" "lib/idp/*.hpp")  # globbed below, inside $root
    seeds=("$root"/tests/fixtures/jwt/seeds/*)
    export IOT_FUZZ_JWKS="$root/tests/fixtures/jwt/jwks.json"
    ;;
  *) echo "fuzz.sh: unknown target '$target'" >&2; usage ;;
esac

cxx="${CXX_FUZZ:-clang++}"
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz.sh: error: $cxx not found; install Debian's clang and libclang-rt-14-dev" \
       "(apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 1
fi
if [[ ! -e "${seeds[0]}" ]]; then
  echo "fuzz.sh: error: no seed files for $target under $fixtures (use --fixtures DIR)" >&2
  exit 1
fi

out="$root/build-fuzz"
bin="$out/fuzz_$target"
mkdir -p "$out" "$out/artifacts/$target"

# Several CTest runs may share build-fuzz/: build under a lock, into a temporary file.
(
  flock 9
  newest=$(cd "$root" && ls -t "tests/fuzz/fuzz_$target.cpp" "${sources[@]}" lib/firmware/*.hpp \
           lib/core/*.hpp ${headers[@]+${headers[@]}} scripts/fuzz.sh | head -n 1)
  if [[ ! -x "$bin" || "$root/$newest" -nt "$bin" ]]; then
    echo "fuzz.sh: building $bin with $("$cxx" --version | head -n 1)" >&2
    (cd "$root" && "$cxx" -std=c++20 -g -O1 -fno-omit-frame-pointer \
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
       -I lib "tests/fuzz/fuzz_$target.cpp" "${sources[@]}" -lcrypto -o "$bin.tmp.$$")
    mv -f "$bin.tmp.$$" "$bin"
  fi
) 9>"$out/.lock-$target"

corpus="$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX")"
trap 'rm -rf "$corpus"' EXIT
cp "${seeds[@]}" "$corpus/"

echo "fuzz.sh: running $target for ${seconds}s from ${#seeds[@]} seeds" >&2
"$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/$target/" "${extra[@]}" "$corpus"
