"""`make run`, as a user runs it: the whole stack comes up healthy behind the
gateway, and Ctrl-C (SIGINT) stops it leaving no process and no listener behind.

The command is the Makefile's own `run` recipe, with a temporary work dir and
free ports. Its process tree and listening ports are read from /proc while it
runs, so what is checked after exit is what it really started, grandchildren
(PostgreSQL's backends, promtool, …) included.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from obsai_devstack.processes import free_port

# The full stack with its own demo world: ~50 s on a 2-core machine, most of it
# the 25 h backfill and Prometheus's first 15 s scrapes.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "make-run-admin-password-1"
HEALTHY_WITHIN = 240.0  # seconds; a stack that never gets there fails, not hangs
EXIT_WITHIN = 60.0
LISTEN = "0A"  # TCP state in /proc/net/tcp


def make_run_command(work_dir: Path) -> list[str]:
    """The Makefile's `run` recipe, with this test's work dir."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert match, "no run target in the Makefile"
    recipe = [line.strip().lstrip("@") for line in match[1].splitlines()]
    assert len(recipe) == 1, recipe
    argv = shlex.split(recipe[0])
    assert argv[:3] == ["$(PY)", "-m", "obsai_devstack"], argv
    return [sys.executable, "-m", "obsai_devstack", "--work-dir", str(work_dir), *argv[3:]]


# ---- /proc -------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, start time) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], int(fields[19])


def _alive(pid: int, started: int) -> bool:
    stat = _stat(pid)
    # A zombie has exited; another start time is another process (PID reused).
    return stat is not None and stat[1] != "Z" and stat[2] == started


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _descendants(root: int) -> dict[int, int]:
    """pid -> start time of every live descendant of `root`."""
    children: dict[int, list[int]] = {}
    starts: dict[int, int] = {}
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is not None and stat[1] != "Z":
            children.setdefault(stat[0], []).append(pid)
            starts[pid] = stat[2]
    found: dict[int, int] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found[pid] = starts[pid]
        todo += children.get(pid, [])
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _listeners() -> dict[str, int]:
    """inode -> port of every listening TCP socket on this machine."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            next(handle)
            for line in handle:
                parts = line.split()
                if parts[3] == LISTEN:
                    found[parts[9]] = int(parts[1].rsplit(":", 1)[1], 16)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _naming(text: str) -> list[str]:
    """Command lines of live processes that mention `text`."""
    found = []
    for pid in _all_pids():
        cmdline, stat = _cmdline(pid), _stat(pid)
        if text in cmdline and stat is not None and stat[1] != "Z":
            found.append(f"{pid}: {cmdline}")
    return found


@dataclass
class Observed:
    """What the stack's process tree was seen to be while it ran."""

    processes: dict[int, tuple[int, str]] = field(default_factory=dict)
    ports: set[int] = field(default_factory=set)

    def sample(self, root: int) -> None:
        listeners = _listeners()
        for pid, started in _descendants(root).items():
            if pid not in self.processes:
                self.processes[pid] = (started, _cmdline(pid)[:160])
            for inode in _socket_inodes(pid):
                if inode in listeners:
                    self.ports.add(listeners[inode])
        for inode in _socket_inodes(root):
            if inode in listeners:
                self.ports.add(listeners[inode])

    def survivors(self) -> list[str]:
        return [
            f"{pid}: {cmdline}"
            for pid, (started, cmdline) in self.processes.items()
            if _alive(pid, started)
        ]


# ---- the test ------------------------------------------------------------------


@pytest.fixture
def ports() -> dict[str, int]:
    # Distinct: free_port never hands out a port twice in one process.
    names = ("gateway", "auth", "catalog", "query", "discovery", "ext_authz", "redis")
    return {name: free_port() for name in names}


@pytest.fixture
def make_run(tmp_path: Path, ports: dict[str, int]) -> Iterator[subprocess.Popen[bytes]]:
    """`make run`'s process, in its own session like a terminal's foreground job;
    killed with its whole tree if the test did not stop it."""
    env = dict(os.environ)
    env.update(
        GATEWAY_LISTEN_PORT=str(ports["gateway"]),
        AUTH_ADDR=f"127.0.0.1:{ports['auth']}",
        CATALOG_ADDR=f"127.0.0.1:{ports['catalog']}",
        QUERY_ADDR=f"127.0.0.1:{ports['query']}",
        DISCOVERY_ADDR=f"127.0.0.1:{ports['discovery']}",
        AUTH_EXT_AUTHZ_ADDR=f"127.0.0.1:{ports['ext_authz']}",
        # Nothing answers there: make run starts a redis-server of its own.
        REDIS_URL=f"redis://127.0.0.1:{ports['redis']}/0",
        OBSAI_ADMIN_PASSWORD=ADMIN_PASSWORD,
        BCRYPT_ROUNDS="4",
    )
    work_dir = tmp_path / "obsai"
    with (tmp_path / "make-run.log").open("wb") as output:
        process = subprocess.Popen(
            make_run_command(work_dir),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            leftovers = _descendants(process.pid)
            process.kill()
            process.wait(10)
            for pid, started in leftovers.items():
                if _alive(pid, started):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


def _output(tmp_path: Path, lines: int = 60) -> str:
    text = (tmp_path / "make-run.log").read_text(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _wait_healthy(
    process: subprocess.Popen[bytes], url: str, observed: Observed, tmp_path: Path
) -> httpx.Response:
    deadline = time.monotonic() + HEALTHY_WITHIN
    last: object = None
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            observed.sample(process.pid)
            assert process.poll() is None, f"make run exited early:\n{_output(tmp_path)}"
            try:
                response = client.get(f"{url}/health")
            except httpx.HTTPError as error:
                last = error
            else:
                if response.status_code == 200:
                    return response
                last = response.text
            time.sleep(0.5)
    pytest.fail(f"no healthy /health in {HEALTHY_WITHIN}s (last: {last}):\n{_output(tmp_path)}")


def test_make_run_comes_up_and_ctrl_c_leaves_nothing_behind(
    make_run: subprocess.Popen[bytes], ports: dict[str, int], tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{ports['gateway']}"
    observed = Observed()

    health = _wait_healthy(make_run, url, observed, tmp_path)
    body = health.json()
    assert body["status"] == "healthy", body
    assert body["components"] == {
        "database": "healthy",
        "redis": "healthy",
        "prometheus": "healthy",
        "claude_api": "not_configured",
    }
    login = httpx.post(
        f"{url}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, timeout=10
    )
    assert login.status_code == 200, login.text
    observed.sample(make_run.pid)

    # What it runs: PostgreSQL, Redis, the demo exporter, Prometheus, four services, Envoy.
    commands = " ".join(cmdline for _, cmdline in observed.processes.values())
    for program in ("postgres", "redis-server", "prometheus", "obsai_demo", "envoy"):
        assert program in commands, f"{program} not among {commands}"
    for service in ("auth", "catalog", "query", "discovery"):
        assert f"obsai_{service}" in commands
    assert {ports[n] for n in ports if n != "redis"} <= observed.ports, observed.ports

    os.killpg(make_run.pid, signal.SIGINT)  # Ctrl-C in the terminal
    try:
        returncode = make_run.wait(EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make run still running {EXIT_WITHIN}s after Ctrl-C:\n{_output(tmp_path)}")

    assert returncode == 0, _output(tmp_path)
    assert observed.survivors() == []
    assert _naming(str(tmp_path)) == []
    still_listening = observed.ports & set(_listeners().values())
    assert still_listening == set()
    assert "stopping" in (tmp_path / "make-run.log").read_text(errors="replace")
