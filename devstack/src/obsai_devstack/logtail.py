"""Follows every log file in a folder and copies new lines to a stream, prefixed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import IO


class LogTail:
    def __init__(self, folder: Path, out: IO[str], interval: float = 0.25) -> None:
        self._folder = folder
        self._out = out
        self._interval = interval
        self._offsets: dict[Path, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="log-tail", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._drain()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._drain()

    def _drain(self) -> None:
        for path in sorted(self._folder.glob("*.log")):
            offset = self._offsets.get(path, 0)
            try:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
            except OSError:
                continue
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._offsets[path] = offset + len(complete)
            for line in complete.decode(errors="replace").splitlines():
                self._out.write(f"{path.stem:>10} | {line}\n")
        self._out.flush()
