# Shared by the Google Benchmark wrappers in tests/bench (sourced, not run). After
#   gbench_setup TARGET DEFAULT_REPETITIONS "$@"
# $bin is the benchmark binary (--bin PATH, or TARGET built in --build-dir DIR, default
# build-bench/, as a Release build with IOT_BUILD_BENCH=ON), $repetitions is set (--repetitions N),
# and $json is a temporary file removed on exit.
gbench_setup() {
  local target="$1" script; script="$(basename "$0")"
  repetitions="$2"
  shift 2
  local root build_dir log
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  build_dir="$root/build-bench"
  bin=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --bin) bin="$2"; shift 2 ;;
      --build-dir) build_dir="$2"; shift 2 ;;
      --repetitions) repetitions="$2"; shift 2 ;;
      *) echo "usage: $script [--bin PATH | --build-dir DIR] [--repetitions N]" >&2; exit 2 ;;
    esac
  done
  json="$(mktemp)"
  log="$(mktemp)"
  trap 'rm -f "$json"' EXIT
  if [[ -z "$bin" ]]; then
    # Quiet unless the build fails.
    if ! { cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DIOT_BUILD_BENCH=ON &&
           cmake --build "$build_dir" --target "$target" -j2; } >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      echo "$script: build failed in $build_dir" >&2
      exit 1
    fi
    bin="$build_dir/tests/$target"
  fi
  rm -f "$log"
}
