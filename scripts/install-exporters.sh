#!/usr/bin/env bash
# Install the exporters of the other-exporters evaluation world from Debian:
# prometheus-node-exporter, prometheus-redis-exporter,
# prometheus-postgres-exporter and prometheus-blackbox-exporter.
#
# Idempotent: does nothing when every binary is already on PATH. The test world
# (obsai_devstack.exporters_world) starts its own exporters on free loopback
# ports, so the packaged services must never be left running: they would hold
# the default ports (9100, 9121, 9187, 9115) and scrape things nobody asked for.
set -euo pipefail

packages=(
    prometheus-node-exporter
    prometheus-redis-exporter
    prometheus-postgres-exporter
    prometheus-blackbox-exporter
)

missing=()
for package in "${packages[@]}"; do
    command -v "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "exporters already installed: ${packages[*]}"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-exporters.sh: needs root to apt-get install ${missing[*]}" >&2
    exit 1
fi

# Keep the packages' maintainer scripts from starting the services: a
# policy-rc.d that exits 101 tells invoke-rc.d "not allowed". Add one only for
# the duration of the install, and only if the machine has none of its own.
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
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Belt and braces: if a service started anyway, stop it and keep it from
# starting at boot. Machines without systemd use the SysV init scripts.
for package in "${missing[@]}"; do
    if [ -x "/etc/init.d/$package" ]; then
        service "$package" stop >/dev/null 2>&1 || true
        update-rc.d "$package" disable >/dev/null 2>&1 || true
    fi
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl disable --now "$package.service" >/dev/null 2>&1 || true
    fi
done

for package in "${packages[@]}"; do
    echo "installed: $package $("$package" --version 2>&1 | head -n1)"
done
