"""Child processes that are always stopped, with their output kept for diagnosis."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1
# Loaded before any fork: the child only makes one foreign call.
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _die_with_parent() -> None:
    """Runs in the child before exec: if whoever started us dies, even by
    SIGKILL, the kernel sends us SIGTERM, so no process outlives its owner."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# How far below the ephemeral range free ports are drawn from.
_FREE_PORT_SPAN = 12000


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel gives to `bind(0)` and to outgoing connections."""
    try:
        low, high = (int(n) for n in _EPHEMERAL_RANGE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return low, high


# Ports this process has drawn or been told to use. A drawn port stays unbound until
# its server starts, so without this two draws of one stack (or a draw and a port
# its caller named) could meet, and the later server fails "address in use".
_HANDED_OUT: set[int] = set()
_HANDED_OUT_LOCK = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing is bound to, for a server to be told before it starts, and
    never one this process has handed out or been told to use (`reserve_ports`).

    Drawn at random below the kernel's ephemeral range: a port the kernel hands out
    itself (`bind(0)`) is one it may give, before that server binds it, to an
    outgoing connection as its source port (a stack's clients connecting to its
    database while its last services start), and the server then fails with
    "address already in use". At random, so parallel runs rarely draw the same.
    """
    low, _ = ephemeral_range()
    first = max(1024, low - _FREE_PORT_SPAN)
    with _HANDED_OUT_LOCK:
        for _ in range(64):
            port = first + secrets.randbelow(max(1, low - first))
            if port not in _HANDED_OUT and _bindable(host, port):
                _HANDED_OUT.add(port)
                return port
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))  # every port drawn was taken: the kernel's choice
            port = int(sock.getsockname()[1])
        _HANDED_OUT.add(port)
        return port


def reserve_ports(ports: Iterable[int]) -> None:
    """Ports this process was told to use (0: none): never drawn by `free_port`."""
    with _HANDED_OUT_LOCK:
        _HANDED_OUT.update(p for p in ports if p)


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


class ManagedProcess:
    """A subprocess in its own process group, logging to a file, stopped for sure."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
        echo: IO[bytes] | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        self._stop_signal = stop_signal
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # Logs are appended across runs (make run keeps them); this run's part starts here.
        self._start_offset = log_path.stat().st_size if log_path.exists() else 0
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            list(argv),
            stdout=echo or self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            user=user,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """What this process wrote, and only this run of it."""
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(self._start_offset)
                return handle.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} before {what}:\n"
                    f"{self.log_tail()}"
                )
            if ready():
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} not {what} after {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, self._stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        # Children that outlived their leader still belong to the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()
