"""The demo world as one object, for `make run`, tests and benchmarks.

`DemoWorld` starts the demo exporter, backfills its history, starts Prometheus
on 127.0.0.1 and waits until Prometheus is ready and has scraped every demo
target once. Every process it starts, it stops (`close()`, or leave the `with`).
No fixed ports: the exporter binds port 0, Prometheus gets a free port.

    with DemoWorld() as world:
        httpx.get(f"{world.prometheus_url}/api/v1/query", params={"query": "up"})
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from obsai_demo.backfill import DEFAULT_INSTANCE, BackfillResult, backfill, job_for
from obsai_demo.estate import NAMESPACES, service_names
from obsai_demo.prometheus import DemoScrape, ScrapeTarget, prometheus_command, write_config
from obsai_devstack.processes import ManagedProcess, free_port

# A day of history plus an hour, so "now vs 24h ago" with [1h] windows has data.
DEFAULT_HISTORY_HOURS = 25.0
_LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)/metrics")


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET `url`; returns (status, body), with HTTP errors as statuses, not raises."""
    response = httpx.get(url, timeout=timeout)
    return response.status_code, response.content


def query(prometheus_url: str, promql: str, at: float | None = None) -> list[dict[str, Any]]:
    """An instant query's result vector; raises if Prometheus answers an error."""
    params = {"query": promql}
    if at is not None:
        params["time"] = f"{at:.3f}"
    status, body = http_get(f"{prometheus_url}/api/v1/query?{urllib.parse.urlencode(params)}")
    payload = json.loads(body)
    if status != 200 or payload.get("status") != "success":
        detail = payload.get("error") or body.decode(errors="replace")
        raise RuntimeError(f"query {promql!r} failed ({status}): {detail}")
    result: list[dict[str, Any]] = payload["data"]["result"]
    return result


def demo_targets(job: str | None = None) -> set[tuple[str, str]]:
    """(job, namespace) of every demo scrape target."""
    return {(job or job_for(s), ns) for s in service_names() for ns in NAMESPACES}


@dataclass
class DemoWorld:
    """Exporter + backfilled history + Prometheus; see the module docstring.

    `data_dir` keeps Prometheus's data across runs (history is backfilled only
    into an empty one); by default everything lives in a temporary directory
    that close() removes. `extra_targets` are scraped too but not waited for.
    """

    data_dir: Path | None = None
    prometheus_port: int | None = None
    history_hours: float = DEFAULT_HISTORY_HOURS
    history_step: int = 60
    scrape_interval: int = 15
    extra_targets: Sequence[ScrapeTarget] = ()
    instance: str = DEFAULT_INSTANCE
    startup_timeout: float = 60.0
    prometheus_binary: str = "prometheus"
    promtool_binary: str = "promtool"
    # Where process logs go; the temporary run directory by default.
    log_dir: Path | None = None

    prometheus_url: str = field(init=False, default="")
    prometheus_started_at: float = field(init=False, default=0.0)
    exporter_url: str = field(init=False, default="")
    history: BackfillResult | None = field(init=False, default=None)
    _processes: list[ManagedProcess] = field(init=False, default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(init=False, default=None)

    def __enter__(self) -> DemoWorld:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> DemoWorld:
        """Bring everything up, or stop whatever did start and raise."""
        try:
            self._tmp = tempfile.TemporaryDirectory(prefix="obsai-demo-world-")
            run_dir = Path(self._tmp.name)
            data_dir = self.data_dir or run_dir / "data"
            exporter_address = self._start_exporter(run_dir)
            self._backfill_if_empty(data_dir)
            self._start_prometheus(run_dir, data_dir, exporter_address)
            self._wait_for_first_scrapes()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every process started, newest first, and remove temporary files."""
        while self._processes:
            self._processes.pop().stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _start_exporter(self, run_dir: Path) -> str:
        command = [sys.executable, "-m", "obsai_demo", "exporter", "--host", "127.0.0.1"]
        exporter = ManagedProcess(
            "demo-exporter", command, self._log_dir(run_dir) / "demo-exporter.log"
        )
        self._processes.append(exporter)
        address: list[str] = []

        def listening() -> bool:
            match = _LISTENING.search(exporter.output())
            if match:
                address.append(f"{match[1]}:{match[2]}")
            return bool(address)

        exporter.wait_until(listening, self.startup_timeout, "listening")
        self.exporter_url = f"http://{address[0]}/metrics"
        return address[0]

    def _log_dir(self, run_dir: Path) -> Path:
        return self.log_dir or run_dir

    def _backfill_if_empty(self, data_dir: Path) -> None:
        if data_dir.exists() and any(data_dir.iterdir()):
            return
        self.history = backfill(
            data_dir,
            self.history_hours,
            time.time(),
            self.history_step,
            self.instance,
            promtool=self.promtool_binary,
            tail_step=self.scrape_interval,
        )

    def _start_prometheus(self, run_dir: Path, data_dir: Path, exporter_address: str) -> None:
        port = self.prometheus_port or free_port()
        config = write_config(
            run_dir / "prometheus.yml",
            port,
            DemoScrape(exporter_address, self.instance),
            self.extra_targets,
            f"{self.scrape_interval}s",
        )
        command = prometheus_command(config, data_dir, port, self.prometheus_binary)
        self.prometheus_started_at = time.time()
        prometheus = ManagedProcess(
            "prometheus", command, self._log_dir(run_dir) / "prometheus.log"
        )
        self._processes.append(prometheus)
        self.prometheus_url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return http_get(f"{self.prometheus_url}/-/ready", timeout=1.0)[0] == 200
            except httpx.HTTPError:
                return False

        prometheus.wait_until(ready, self.startup_timeout, "ready")

    def _wait_for_first_scrapes(self) -> None:
        """Wait until every demo target and Prometheus itself were scraped live, and up."""
        since = self.prometheus_started_at
        expected = demo_targets() | {("prometheus", "")}
        missing = set(expected)

        def scraped() -> bool:
            missing.clear()
            missing.update(expected - self._live_targets(since))
            return not missing

        self._processes[-1].wait_until(scraped, self.startup_timeout, "scraping every demo target")

    def _live_targets(self, since: float) -> set[tuple[str, str]]:
        # Backfilled `up` answers instant queries before any scrape, so look at
        # when each sample was taken, not just whether there is one.
        fresh = query(self.prometheus_url, f"(up == 1) and (timestamp(up) > {since})")
        return {(r["metric"]["job"], r["metric"].get("namespace", "")) for r in fresh}
