"""`python -m obsai_devstack run`: the whole stack in the foreground (make run).

Starts PostgreSQL+pgvector (unless DATABASE_URL), Redis (REDIS_URL when it
answers, else its own), the demo world (unless PROMETHEUS_URL), the four
services and Envoy on :8080, streams their logs, and stops everything on
Ctrl-C or SIGTERM.

Ports: the gateway listens on GATEWAY_LISTEN_PORT (8080); each service on the
port of AUTH_ADDR, CATALOG_ADDR, QUERY_ADDR, DISCOVERY_ADDR and auth's ext_authz
listener on that of AUTH_EXT_AUTHZ_ADDR (the settings that tell the other
services and the gateway where they are; host 127.0.0.1 regardless), 50051-50054
and 50061 by default. Port 0 means any free port.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from obsai_devstack.envoy import EXT_AUTHZ
from obsai_devstack.logtail import LogTail
from obsai_devstack.stack import Stack, StackOptions

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PORTS = {
    "auth": 50051,
    "catalog": 50052,
    "query": 50053,
    "discovery": 50054,
    EXT_AUTHZ: 50061,
}
# The settings naming where each listener is; make run puts it on their port.
PORT_SETTINGS = {
    "auth": "AUTH_ADDR",
    "catalog": "CATALOG_ADDR",
    "query": "QUERY_ADDR",
    "discovery": "DISCOVERY_ADDR",
    EXT_AUTHZ: "AUTH_EXT_AUTHZ_ADDR",
}


def service_ports(environ: Mapping[str, str]) -> dict[str, int]:
    """DEFAULT_PORTS, with the port of each `*_ADDR` setting that is set."""
    ports = dict(DEFAULT_PORTS)
    for name, setting in PORT_SETTINGS.items():
        if address := environ.get(setting, "").strip():
            port = address.rpartition(":")[2]
            if not port.isdigit() or int(port) > 65535:
                raise SystemExit(f"{setting}={address!r}: expected host:port")
            ports[name] = int(port)
    return ports


def _options(work_dir: Path) -> StackOptions:
    env = {k: v for k, v in os.environ.items() if k.startswith(("OBSAI_", "ANTHROPIC_", "CLAUDE_"))}
    env.setdefault("OBSAI_INTERNAL_SECRET", _persistent_secret(work_dir / "internal-secret"))
    env.setdefault("JWT_SECRET", _persistent_secret(work_dir / "jwt-secret"))
    env.setdefault("LOG_FORMAT", "text")
    return StackOptions(
        work_dir=work_dir,
        database_url=os.environ.get("DATABASE_URL"),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        prometheus_url=os.environ.get("PROMETHEUS_URL"),
        gateway_port=int(os.environ.get("GATEWAY_LISTEN_PORT", "8080")),
        service_ports=service_ports(os.environ),
        env=env,
        durable=True,
        demo_world=os.environ.get("PROMETHEUS_URL") is None,
        demo_data_dir=work_dir / "prometheus",
    )


def _persistent_secret(path: Path) -> str:
    """A random secret kept across restarts, so sessions and keys survive them."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _banner(stack: Stack) -> str:
    url = stack.url
    return f"""
ObsAI is up.
  gateway      {url}
  prometheus   {stack.prometheus_url}
  evaluate     OBSAI_ADMIN_PASSWORD=… make eval
  logs         {stack.options.work_dir / "logs"}

Try:
  curl -s {url}/health
  curl -s {url}/auth/login -d '{{"username":"admin","password":"<password>"}}'
  TOKEN=<access_token from the answer>
  curl -s {url}/query -H "Authorization: Bearer $TOKEN" -d '{{"query":"p95 latency of checkout"}}'

Ctrl-C stops everything.
"""


def run(work_dir: Path) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = Stack(_options(work_dir))
    tail = LogTail(work_dir / "logs", sys.stdout)
    tail.start()
    stack_file = work_dir / "stack.json"
    try:
        stack.start()
        # Tells `make eval` which Prometheus this stack queries.
        stack_file.write_text(
            json.dumps({"url": stack.url, "prometheus_url": stack.prometheus_url})
        )
        print(_banner(stack), flush=True)
        while not stop.is_set():
            if failed := stack.exited():
                print(f"{failed} exited; stopping", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("stopping…", flush=True)
        stack_file.unlink(missing_ok=True)
        stack.stop()
        tail.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="obsai_devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole stack in the foreground")
    parser.add_argument("--work-dir", type=Path, default=ROOT / ".obsai")
    args = parser.parse_args()
    if args.command == "run":
        sys.exit(run(args.work_dir))


if __name__ == "__main__":
    main()
