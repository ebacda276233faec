"""Real Prometheus servers for discovery tests, started once per session.

- `shop`: Prometheus scraping a tiny prometheus_client exporter every second
  (types, help and units come from /api/v1/metadata); a test can hide a metric.
- `legacy`: Prometheus over promtool-backfilled blocks only: no target, so no
  metadata at all, and types must come from naming conventions.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from obsai_catalog.embedding import CachedEmbedder, Embedder, OnnxSentenceEmbedder
from obsai_demo.prometheus import prometheus_command
from obsai_devstack.demo_world import http_get, query
from obsai_devstack.processes import ManagedProcess, free_port
from tests.integration.catalog.harness import CatalogHandle, catalog_server

HERE = Path(__file__).parent


def wait_until(check: Callable[[], bool], timeout: float, fail: Callable[[], Exception]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise fail()
        time.sleep(0.1)


_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/metrics")


@dataclass
class Shop:
    prometheus_url: str
    control: Path

    def hide(self, *names: str) -> None:
        self.control.write_text("\n".join(names))

    def wait_scraped(self, present: str, absent: str = "", timeout: float = 20.0) -> None:
        """Until `present` has a fresh sample and `absent` has none."""

        def ok() -> bool:
            have = query(self.prometheus_url, f"count({present})")
            gone = not absent or not query(self.prometheus_url, f"count({absent})")
            return bool(have) and gone

        wait_until(ok, timeout, lambda: TimeoutError(f"{present}/{absent} not scraped"))


def _require_prometheus() -> None:
    missing = [tool for tool in ("prometheus", "promtool") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: run make install")


def _start_prometheus(run: Path, config: str, name: str) -> tuple[ManagedProcess, str]:
    port = free_port()
    (run / "prometheus.yml").write_text(config)
    command = prometheus_command(run / "prometheus.yml", run / "data", port)
    process = ManagedProcess(name, command, run / "prometheus.log")
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return http_get(f"{url}/-/ready", timeout=1.0)[0] == 200
        except httpx.HTTPError:
            return False

    try:
        process.wait_until(ready, 30, "ready")
    except BaseException:
        process.stop()
        raise
    return process, url


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    _require_prometheus()
    run = tmp_path_factory.mktemp("shop")
    control = run / "hidden.txt"
    control.write_text("")
    exporter = ManagedProcess(
        "shop exporter",
        [sys.executable, str(HERE / "shop_exporter.py"), str(control)],
        run / "exporter.log",
    )
    processes = [exporter]
    try:
        port: list[str] = []

        def listening() -> bool:
            if match := _LISTENING.search(exporter.log_tail()):
                port.append(match[1])
            return bool(port)

        exporter.wait_until(listening, 20, "listening")
        config = (
            "global: {scrape_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: shop\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{port[0]}']}}]\n"
        )
        prometheus, url = _start_prometheus(run, config, "shop prometheus")
        processes.append(prometheus)
        world = Shop(url, control)
        world.wait_scraped('shop_orders_total{service="checkout"}')
        # Metadata arrives with the scrape cache; wait for it too.
        prometheus.wait_until(
            lambda: b"shop_orders" in http_get(f"{url}/api/v1/metadata")[1], 20, "with metadata"
        )
        yield world
    finally:
        for process in reversed(processes):
            process.stop()


def _openmetrics(now: float) -> str:
    """Twenty minutes of a legacy estate, minute by minute, without any # TYPE."""
    lines = []
    base = '{job="legacy",service="billing",namespace="prod"'
    for step in range(20, -1, -1):
        t = int(now) - step * 60
        n = 20 - step
        lines += [
            f"legacy_jobs_processed_total{base}}} {100 + n} {t}",
            f'legacy_job_duration_seconds_bucket{base},le="0.5"}} {n} {t}',
            f'legacy_job_duration_seconds_bucket{base},le="+Inf"}} {2 * n} {t}',
            f"legacy_job_duration_seconds_sum{base}}} {0.7 * n} {t}",
            f"legacy_job_duration_seconds_count{base}}} {2 * n} {t}",
            f'legacy_rpc_seconds{base},quantile="0.99"}} 0.3 {t}',
            f"legacy_rpc_seconds_sum{base}}} {0.1 * n} {t}",
            f"legacy_rpc_seconds_count{base}}} {n} {t}",
            f"legacy_temperature_celsius{base}}} 21.5 {t}",
        ]
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="session")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a Prometheus holding only backfilled blocks (no metadata)."""
    _require_prometheus()
    run = tmp_path_factory.mktemp("legacy")
    source = run / "history.om"
    source.write_text(_openmetrics(time.time()))
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(run / "data")],
        check=True,
        capture_output=True,
    )
    process, url = _start_prometheus(run, "scrape_configs: []\n", "legacy prometheus")
    try:
        yield url
    finally:
        process.stop()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return CachedEmbedder(OnnxSentenceEmbedder())


@pytest.fixture
async def catalog(database_url: str, embedder: Embedder) -> AsyncIterator[CatalogHandle]:
    async with catalog_server(database_url, embedder) as handle:
        yield handle
