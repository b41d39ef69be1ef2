#!/usr/bin/env bash
# make test: every test. Rust unit and integration tests (each on SQLite and
# PostgreSQL), lint, an OpenAPI fuzzer against the real server, the web UI's
# type check and build, the OpenAPI client check, and the browser test
# against the real server on both databases.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
services_up
venv_need
model_need
apt_need chromium
web_deps
# Before the Rust tests: the binary embeds web/dist (a test checks it).
web_build

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
say "cargo test (SQLite and PostgreSQL)"
# pipefail: a failing cargo test fails the script; grep only hides the
# summaries of the crates that have no tests yet.
LOG="$CARGO_TARGET_DIR/test-summary.log"
cargo test -q --workspace 2>&1 | tee "$LOG" | grep -vE '^(running 0 tests|test result: ok\. 0 passed.*|)$'

say "OpenAPI fuzzing (schemathesis) against the real server"
scripts/fuzz.sh

say "OpenAPI client types are in sync"
"$CARGO_TARGET_DIR/debug/stackpro" openapi > web/openapi.json
(cd web && npx openapi-typescript openapi.json -o src/lib/api/schema.d.ts >/dev/null 2>&1)
git diff --exit-code -- web/src/lib/api/schema.d.ts web/openapi.json || { echo "web/src/lib/api/schema.d.ts is stale: commit the regenerated file"; exit 1; }
say "web: typecheck, lint, build"
(cd web && npm run -s typecheck && npm run -s lint && npm run -s build >/dev/null)

for backend in sqlite postgres; do
  say "browser test on $backend"
  scripts/e2e.sh "$backend" | tee -a "$LOG"
done
passed=$(grep -oE '([0-9]+) passed' "$LOG" | awk '{s+=$1} END {print s+0}')
say "all tests passed"
echo "$passed passed, 0 failed"
