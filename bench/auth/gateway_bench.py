"""Authenticated, rate-limited requests through Envoy vs. an unauthenticated echo.

Both go through the same Envoy to Python gRPC services, measured with wrk in
the same run:

- baseline: ``GET /api/v1/ping`` — public, no Check, a trivial RPC on query;
- authenticated: ``GET /api/v1/whoami`` with an API key — the same kind of
  trivial RPC on the same service, behind Envoy's ext_authz Check (key lookup,
  authorization, sliding-window rate limit in Redis, a signed identity token
  that query verifies). The difference between the two is the auth path.

The cases are interleaved over several short rounds, so a change in the shared
machine's load during the run falls on each of them alike; each round's ratio
is printed too.

Beside throughput it reports the CPU each request cost in each process of the
stack (from /proc, Linux only): on a saturated two-core box that is what sets
the ratio, and it is far less sensitive to other load than requests/s.

Targets (issue 3): authenticated >= 0.5 x the baseline's throughput, p99 < 50 ms
at 32 connections.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
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


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _component(cmdline: str, name: str) -> str:
    for service in ("auth", "query", "catalog", "discovery"):
        if f"obsai_{service}" in cmdline:
            return service
    return name


def cpu_by_component() -> dict[str, float]:
    """CPU seconds used so far by each process this benchmark started, by component."""
    parents: dict[int, int] = {}
    usage: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        values = fields.split()
        pid = int(entry.name)
        parents[pid] = int(values[1])
        usage[pid] = (_component(cmdline, name), (int(values[11]) + int(values[12])) / _CLOCK_TICKS)
    ours, frontier = set(), {os.getpid()}
    while frontier:
        ours |= frontier
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - ours
    totals: dict[str, float] = {}
    for pid in ours - {os.getpid()}:
        component, seconds = usage[pid]
        totals[component] = totals.get(component, 0.0) + seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished wrk runs
    totals["wrk"] = children.ru_utime + children.ru_stime
    return totals


@dataclass
class Case:
    name: str
    url: str
    headers: dict[str, str]


def summarise(name: str, runs: list[WrkResult]) -> WrkResult:
    """One row for a case over its rounds: total throughput, median percentiles."""
    seconds = sum(r.requests / r.requests_per_second for r in runs)
    return WrkResult(
        name=name,
        requests_per_second=sum(r.requests for r in runs) / seconds,
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        requests=sum(r.requests for r in runs),
        non_2xx=sum(r.non_2xx for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="per case and round")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="cases are interleaved round by round, so a change in the machine's "
        "load falls on every case alike",
    )
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
        cases = [
            Case("echo baseline (no auth)", f"{stack.url}/api/v1/ping", {}),
            Case("API key, rate-limited", whoami, {"X-API-Key": key}),
            Case("Bearer token, rate-limited", whoami, {"Authorization": f"Bearer {token}"}),
        ]
        for case in cases:
            run_wrk("warm-up", case.url, case.headers, 1, args.connections)
        runs: dict[str, list[WrkResult]] = {case.name: [] for case in cases}
        cpu: dict[str, dict[str, float]] = {case.name: {} for case in cases}
        for _ in range(args.rounds):
            for case in cases:
                before = cpu_by_component()
                result = run_wrk(case.name, case.url, case.headers, args.seconds, args.connections)
                after = cpu_by_component()
                runs[case.name].append(result)
                for component, seconds in after.items():
                    used = seconds - before.get(component, 0.0)
                    cpu[case.name][component] = cpu[case.name].get(component, 0.0) + used
    results = [summarise(name, rounds) for name, rounds in runs.items()]
    baseline = results[0]
    ratios = {r.name: r.requests_per_second / baseline.requests_per_second for r in results[1:]}
    per_round = {
        name: [
            r.requests_per_second / b.requests_per_second
            for r, b in zip(runs[name], runs[baseline.name], strict=True)
        ]
        for name in ratios
    }
    print(f"{args.rounds} rounds x {args.seconds} s per case, {args.connections} connections")
    print(f"{'path':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for r in results:
        rps, p50, p99 = r.requests_per_second, r.p50_ms, r.p99_ms
        print(f"{r.name:32} {rps:9.0f} {p50:8.2f} {p99:8.2f} {r.non_2xx:8d}")
    for name, ratio in ratios.items():
        rounds = ", ".join(f"{x:.2f}" for x in per_round[name])
        print(f"throughput ratio {name} / baseline: {ratio:.2f} (rounds: {rounds})")
    cpu_us = {
        r.name: {c: round(s / r.requests * 1e6) for c, s in cpu[r.name].items() if s > 0.05}
        for r in results
    }
    print("CPU per request, microseconds, by process:")
    for name, components in cpu_us.items():
        parts = ", ".join(f"{c} {us}" for c, us in sorted(components.items(), key=lambda x: -x[1]))
        print(f"  {name:32} {sum(components.values()):5d} = {parts}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "results": [asdict(r) for r in results],
        "ratios": ratios,
        "ratios_per_round": per_round,
        "cpu_us_per_request": cpu_us,
        "rounds": {name: [asdict(r) for r in rounds] for name, rounds in runs.items()},
    }
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
