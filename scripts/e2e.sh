#!/usr/bin/env bash
# Runs the Playwright specs in Debian's Chromium against a real stackpro
# server (built UI, fresh data dir) on the given database: sqlite | postgres.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
backend="${1:-sqlite}"
DIR=$(mktemp -d)
port=$(free_port)
db_url=""
if [ "$backend" = postgres ]; then
  db="sp_e2e_$$"
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" postgres
  db_url="postgres://postgres@127.0.0.1:5432/$db"
fi
# The server and the CLI below share these: same data dir, same database.
export STACKPRO_LISTEN="127.0.0.1:$port" STACKPRO_DATA_DIR="$DIR" STACKPRO_DATABASE_URL="$db_url" \
  STACKPRO_LOG=json RUST_LOG=warn STACKPRO_SIGNUP_RATE_PER_IP=50
"$CARGO_TARGET_DIR/debug/stackpro" serve > "$DIR/server.log" 2>&1 & pid=$!
cleanup() {
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  [ -n "$db_url" ] && psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres || true
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the server did not become ready"; tail -50 "$DIR/server.log"; exit 1; }

# Operators are made only by the CLI; operator.spec.ts signs in as this one.
export STACKPRO_OPERATOR_EMAIL="ops@e2e.test"
STACKPRO_OPERATOR_PASSWORD="e2e-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
export STACKPRO_OPERATOR_PASSWORD
printf '%s\n' "$STACKPRO_OPERATOR_PASSWORD" \
  | "$CARGO_TARGET_DIR/debug/stackpro" operator create "$STACKPRO_OPERATOR_EMAIL" --password-stdin >/dev/null

(cd web && STACKPRO_URL="http://127.0.0.1:$port" npx playwright test --reporter=line) || { tail -50 "$DIR/server.log"; exit 1; }
