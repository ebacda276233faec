"""Authenticated, rate-limited requests through Envoy vs. an unauthenticated echo.

Both go through the same Envoy to Python gRPC services, measured with wrk in
the same run:

- baseline: ``GET /api/v1/ping`` — public, no Check, a trivial RPC on query;
- authenticated: ``GET /api/v1/whoami`` with an API key — the same kind of
  trivial RPC on the same service, behind Envoy's ext_authz Check (key lookup,
  authorization, sliding-window rate limit in Redis, a signed identity token
  that query verifies). The difference between the two is the auth path.

Targets (issue 3): authenticated >= 0.5 x the baseline's throughput, p99 < 50 ms
at 32 connections.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from obsai_devstack.stack import StackOptions, running_stack

ADMIN_PASSWORD = "bench-admin-password-1"
MAX_RATE_LIMIT = 1_000_000  # auth's ceiling per window; far above what 10 s of load sends
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass
class WrkResult:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert match, text
    return float(match[1]) * _UNITS[match[2]]


def run_wrk(
    name: str, url: str, headers: dict[str, str], seconds: int, connections: int
) -> WrkResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    argv = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for key, value in headers.items():
        argv += ["-H", f"{key}: {value}"]
    output = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        name=name,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),  # type: ignore[index]
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=int(re.search(r"(\d+) requests in", output)[1]),  # type: ignore[index]
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
    )


def _credentials(base: str) -> tuple[str, str]:
    """An access token and an API key of the admin, whose limits the load cannot reach."""
    login = httpx.post(f"{base}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    token = login.json()["access_token"]
    created = httpx.post(
        f"{base}/admin/api-keys",
        headers={"Authorization": f"Bearer {token}"},
        # A limit the benchmark cannot reach: we measure the limiter's cost, not its 429s.
        json={"name": "bench", "rate_limit": MAX_RATE_LIMIT},
    )
    created.raise_for_status()
    return str(token), str(created.json()["key"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("bench/results/auth_gateway.json"))
    args = parser.parse_args()
    env = {
        "OBSAI_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "JWT_SECRET": "bench-jwt-secret-0123456789-abcdefghijklmnop",
        "LOG_LEVEL": "WARNING",
        # The admin's token must not run into its hourly limit either.
        "RATE_LIMIT_ADMIN": str(MAX_RATE_LIMIT),
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_stack(
            StackOptions(work_dir=Path(tmp), services=("auth", "query"), env=env)
        ) as stack,
    ):
        token, key = _credentials(stack.url)
        whoami = f"{stack.url}/api/v1/whoami"
        run_wrk("warm-up", whoami, {"X-API-Key": key}, 2, args.connections)
        results = [
            run_wrk(
                "echo baseline (no auth)",
                f"{stack.url}/api/v1/ping",
                {},
                args.seconds,
                args.connections,
            ),
            run_wrk(
                "API key, rate-limited",
                whoami,
                {"X-API-Key": key},
                args.seconds,
                args.connections,
            ),
            run_wrk(
                "Bearer token, rate-limited",
                whoami,
                {"Authorization": f"Bearer {token}"},
                args.seconds,
                args.connections,
            ),
        ]
    baseline = results[0]
    ratios = {r.name: r.requests_per_second / baseline.requests_per_second for r in results[1:]}
    print(f"{'path':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for r in results:
        rps, p50, p99 = r.requests_per_second, r.p50_ms, r.p99_ms
        print(f"{r.name:32} {rps:9.0f} {p50:8.2f} {p99:8.2f} {r.non_2xx:8d}")
    for name, ratio in ratios.items():
        print(f"throughput ratio {name} / baseline: {ratio:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"results": [asdict(r) for r in results], "ratios": ratios}
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
