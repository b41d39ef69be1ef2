#!/usr/bin/env bash
# make run: the whole platform on the embedded default (SQLite, local disk,
# in-process bus), UI included, a demo workspace seeded and its login printed.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
web_build
model_need
say "building stackpro"
cargo build -q -p stackpro-server
exec "$CARGO_TARGET_DIR/debug/stackpro" serve --demo "$@"
