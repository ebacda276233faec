"""A private redis-server on a free port (Debian's redis-server binary)."""

from __future__ import annotations

import shutil
from pathlib import Path

from obsai_devstack.processes import ManagedProcess, free_port, port_open


class RedisServer:
    def __init__(self, work_dir: Path, *, port: int = 0, log_path: Path | None = None) -> None:
        self.work_dir = work_dir
        self.log_path = log_path or work_dir / "redis.log"
        self.port = port or free_port()
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: run `make install` (apt-get install redis)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._process = ManagedProcess(
            "redis",
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work_dir),
                "--protected-mode",
                "yes",
            ],
            self.log_path,
        )
        self._process.wait_until(lambda: port_open("127.0.0.1", self.port), timeout, "listening")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
