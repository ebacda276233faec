#!/usr/bin/env bash
# Install servers the tests and the demo world run themselves, from Debian's
# packages, if missing:
#   prometheus (with promtool)      the demo world and every Prometheus-backed test
#   prometheus-*-exporter           the planner's world of exporters it was not built on
#
# Idempotent: does nothing when every binary is already on PATH. Tests start
# their own instances on free loopback ports, so a packaged service must never
# be left running (it would hold a default port and scrape things nobody asked for).
set -euo pipefail

packages=(
    prometheus
    prometheus-node-exporter
    prometheus-redis-exporter
    prometheus-postgres-exporter
    prometheus-blackbox-exporter
)
binaries=(promtool "${packages[@]}")

missing=()
for binary in "${binaries[@]}"; do
    command -v "$binary" >/dev/null 2>&1 || missing+=("$binary")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "packaged servers already installed: ${packages[*]}"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-packaged-servers.sh: needs root to apt-get install (missing: ${missing[*]})" >&2
    exit 1
fi

# Keep the packages' maintainer scripts from starting their services: a
# policy-rc.d that exits 101 tells invoke-rc.d "not allowed". Added only for
# the install, and only if the machine has none of its own.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    made_policy=1
fi
cleanup() {
    if [ "$made_policy" -eq 1 ]; then
        rm -f "$policy"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

# Belt and braces: if a service started anyway, stop it and keep it from
# starting at boot. Machines without systemd use the SysV init scripts.
for service in "${packages[@]}"; do
    if [ -x "/etc/init.d/$service" ]; then
        service "$service" stop >/dev/null 2>&1 || true
        update-rc.d "$service" disable >/dev/null 2>&1 || true
    fi
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl disable --now "$service.service" >/dev/null 2>&1 || true
    fi
done

echo "installed: ${packages[*]}"
