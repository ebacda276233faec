#!/usr/bin/env bash
# Install Prometheus and promtool from Debian's `prometheus` package, if missing.
#
# Idempotent: does nothing when both binaries are already on PATH. The demo world
# and the tests start their own Prometheus on a free loopback port, so the
# packaged service must never be left running (it would hold :9090 and scrape
# things nobody asked for).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    echo "prometheus and promtool already installed: $(prometheus --version 2>&1 | head -n1)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-prometheus.sh: needs root to apt-get install prometheus" >&2
    exit 1
fi

# Keep the package's maintainer scripts from starting the service: a policy-rc.d
# that exits 101 tells invoke-rc.d "not allowed". Add one only for the duration
# of the install, and only if the machine has none of its own.
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
apt-get update
apt-get install -y --no-install-recommends prometheus

# Belt and braces: if the service started anyway, stop it and keep it from
# starting at boot. Machines without systemd use the SysV init script.
if [ -x /etc/init.d/prometheus ]; then
    service prometheus stop >/dev/null 2>&1 || true
    update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi

echo "installed: $(prometheus --version 2>&1 | head -n1)"
