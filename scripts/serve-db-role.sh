#!/usr/bin/env bash
# Creates iot-serve's restricted database role and its login user, for installs where the user
# that runs migrations may not create roles (see README "iot-serve's database role").
#
#   ADMIN_URL=postgresql://postgres@host/postgres scripts/serve-db-role.sh DATABASE [LOGIN]
#
# As a PostgreSQL administrator (ADMIN_URL): creates the NOLOGIN role iot_serve (idempotent),
# optionally a LOGIN user (default none; its password comes from IOT_SERVE_DB_PASSWORD) that is a
# member of it, then calls iot_serve_grant() in DATABASE (created by migration 0003) so the role
# gets exactly its privileges. Run it again after migrations: it changes nothing twice.
set -euo pipefail
db="${1:?usage: serve-db-role.sh DATABASE [LOGIN]}"
login="${2:-}"
: "${ADMIN_URL:?set ADMIN_URL to the connection URL of an administrator}"
psql -v ON_ERROR_STOP=1 -q "$ADMIN_URL" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'iot_serve') THEN
    CREATE ROLE iot_serve NOLOGIN;
  END IF;
END \$\$;
SQL
if [[ -n "$login" ]]; then
  : "${IOT_SERVE_DB_PASSWORD:?set IOT_SERVE_DB_PASSWORD for the login user}"
  psql -v ON_ERROR_STOP=1 -q "$ADMIN_URL" -v login="$login" -v pw="$IOT_SERVE_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'login')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'login') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'login', :'pw') \gexec
SELECT format('GRANT iot_serve TO %I', :'login') \gexec
SQL
fi
admin_db_url="${ADMIN_URL%/*}/$db"
psql -v ON_ERROR_STOP=1 -q "$admin_db_url" -c "SELECT iot_serve_grant(NULL)" >/dev/null
# The owner of the tables (who runs iot-provision migrate) may SET ROLE iot_serve too.
owner=$(psql -qtA "$admin_db_url" -c "SELECT tableowner FROM pg_tables WHERE tablename = 'devices'")
[[ -n "$owner" ]] && psql -v ON_ERROR_STOP=1 -q "$admin_db_url" -c "SELECT iot_serve_grant('$owner')" >/dev/null
echo "serve-db-role.sh: role iot_serve ready in $db${login:+ (login user $login)}"
