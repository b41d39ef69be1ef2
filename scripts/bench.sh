#!/usr/bin/env bash
# make bench: see bench/README.md.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
services_up
apt_need wrk nginx-light
venv_need
model_need
# The Socket.IO reference of the realtime section.
(cd bench/socketio && npm install --silent --no-audit --no-fund)
cargo build -q --release -p stackpro-server -p stackpro-bench
exec "$CARGO_TARGET_DIR/release/stackpro-bench" "$@"
