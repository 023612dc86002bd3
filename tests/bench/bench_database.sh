# Shared by the benchmark scripts that need PostgreSQL (sourced, not run). After
#   bench_database NAME
# DATABASE_URL names a fresh, migrated database of its own (so figures do not depend on what
# else is stored), on the services of DATABASE_URL if set, else on throwaway ones started here;
# IOT_SECRET_KEY and IOT_SECRET_PEPPER are fresh; everything is removed on exit.
bench_database() {
  local name="$1" root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  bench_cleanup=()
  if [[ -z "${DATABASE_URL:-}" ]]; then
    IOT_SERVICES_DIR=$(mktemp -d /tmp/iotfleet-bench.XXXXXX)
    export IOT_SERVICES_DIR
    eval "$("$root/scripts/services.sh" start)"
    bench_cleanup+=("'$root/scripts/services.sh' stop; rm -rf '$IOT_SERVICES_DIR'")
  fi
  local db="${name}_$(date +%s)_$$"
  psql -q "$IOT_TEST_PG_ADMIN_URL" -c "CREATE DATABASE $db OWNER iotfleet"
  bench_cleanup=("psql -q '$IOT_TEST_PG_ADMIN_URL' -c 'DROP DATABASE $db WITH (FORCE)'" "${bench_cleanup[@]}")
  trap 'for c in "${bench_cleanup[@]}"; do eval "$c"; done' EXIT
  export DATABASE_URL="${DATABASE_URL%/*}/$db"
  export IOT_SECRET_KEY="k1:$(openssl rand -base64 32)" IOT_SECRET_PEPPER="$(openssl rand -base64 32)"
  "$bin/iot-provision" migrate >/dev/null
}
