"""A world of exporters ObsAI's planner has never seen, for the second evaluation set.

`ExportersWorld` starts, all on 127.0.0.1 and free ports:

- a private Redis (`RedisServer`) with a memory limit, and a private PostgreSQL
  (`EmbeddedPostgres`) with two databases, `shop` and `inventory`;
- Debian's exporters against them: `prometheus-node-exporter` (this machine),
  `prometheus-redis-exporter`, `prometheus-postgres-exporter`, and — when it is
  installed — `prometheus-blackbox-exporter` probing a few HTTP and TCP targets,
  one of them deliberately down;
- a light, steady workload (Redis GETs that hit and miss, SETs with TTLs;
  PostgreSQL inserts and reads, a share of them rolled back), so counters move;
- a Prometheus scraping every exporter and itself, with fast scrapes.

It waits until every job has been scraped a few times, so rates have samples.
Every process it starts, it stops (`close()`, or leave the `with`).

    with ExportersWorld() as world:
        httpx.get(f"{world.prometheus_url}/api/v1/query", params={"query": "up"})

Install the exporters with `make install` (scripts/install-packaged-servers.sh).
`python -m obsai_devstack.exporters_world` runs it in the foreground and prints
the Prometheus URL (for `python -m obsai_eval --prometheus URL`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncpg
import httpx
import redis

from obsai_devstack.postgres import EmbeddedPostgres
from obsai_devstack.processes import ManagedProcess, free_port, port_open
from obsai_devstack.redis import RedisServer

NODE_EXPORTER = "prometheus-node-exporter"
REDIS_EXPORTER = "prometheus-redis-exporter"
POSTGRES_EXPORTER = "prometheus-postgres-exporter"
BLACKBOX_EXPORTER = "prometheus-blackbox-exporter"
REQUIRED = (NODE_EXPORTER, REDIS_EXPORTER, POSTGRES_EXPORTER)

DATABASES = ("shop", "inventory")
# Redis is given a memory limit so "used / max" questions have an answer.
REDIS_MAXMEMORY = 64 * 1024 * 1024
# Scrapes each job must have had before the world counts as started: about 20
# seconds of samples, so rates over [5m] windows (which read low while a series
# is younger than its window) already clear the set's thresholds.
MIN_SCRAPES = 10

_BLACKBOX_CONFIG = """\
modules:
  http_2xx:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip4
  tcp_connect:
    prober: tcp
    timeout: 2s
    tcp:
      preferred_ip_protocol: ip4
"""


def missing_exporters() -> list[str]:
    """The required exporter binaries that are not on PATH."""
    return [name for name in REQUIRED if shutil.which(name) is None]


def _q(value: str) -> str:
    # A JSON string is a valid YAML scalar, and quoting keeps `:` and `/` literal.
    return json.dumps(value)


@dataclass(frozen=True)
class Job:
    name: str
    address: str
    metrics_path: str = "/metrics"
    # Blackbox probes: module and targets; the exporter's address is `address`.
    module: str = ""
    probes: tuple[str, ...] = ()

    def render(self, interval: str) -> list[str]:
        lines = [
            f"  - job_name: {_q(self.name)}",
            f"    scrape_interval: {_q(interval)}",
            f"    metrics_path: {_q(self.metrics_path)}",
        ]
        if not self.probes:
            return [*lines, "    static_configs:", f"      - targets: [{_q(self.address)}]"]
        targets = ", ".join(_q(t) for t in self.probes)
        return [
            *lines,
            "    params:",
            f"      module: [{_q(self.module)}]",
            "    static_configs:",
            f"      - targets: [{targets}]",
            "    relabel_configs:",
            "      - source_labels: [__address__]",
            "        target_label: __param_target",
            "      - source_labels: [__param_target]",
            "        target_label: instance",
            "      - target_label: __address__",
            f"        replacement: {_q(self.address)}",
        ]


def render_config(port: int, jobs: list[Job], interval: str) -> str:
    lines = [
        "# Written by obsai_devstack.exporters_world; edits are overwritten.",
        "global:",
        f"  scrape_interval: {_q(interval)}",
        f"  evaluation_interval: {_q(interval)}",
        "scrape_configs:",
        *Job("prometheus", f"127.0.0.1:{port}").render(interval),
    ]
    for job in jobs:
        lines.extend(job.render(interval))
    return "\n".join(lines) + "\n"


class Workload:
    """Steady traffic on Redis and PostgreSQL from one background thread."""

    def __init__(self, redis_url: str, postgres_urls: dict[str, str], seed: int = 7) -> None:
        self._redis_url = redis_url
        self._postgres_urls = postgres_urls
        self._random = random.Random(seed)  # noqa: S311 - a workload, not a secret
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="exporters-workload", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        try:
            asyncio.run(self._loop())
        except BaseException as error:  # reported by the world, never silently lost
            self.error = error

    async def _loop(self) -> None:
        client = redis.Redis.from_url(self._redis_url)
        other = redis.Redis.from_url(self._redis_url.rsplit("/", 1)[0] + "/1")
        pools = {
            name: await asyncpg.create_pool(url, min_size=1, max_size=2)
            for name, url in self._postgres_urls.items()
        }
        try:
            tick = 0
            while not self._stop.is_set():
                self._redis_step(client, other, tick)
                await self._postgres_step(pools, tick)
                tick += 1
                await asyncio.sleep(0.1)
        finally:
            for pool in pools.values():
                await pool.close()
            client.close()
            other.close()

    def _redis_step(self, client: redis.Redis, other: redis.Redis, tick: int) -> None:
        rnd = self._random
        pipe = client.pipeline(transaction=False)
        for _ in range(5):
            key = f"session:{rnd.randrange(400)}"
            pipe.get(key)  # about half of these hit
        pipe.set(f"session:{rnd.randrange(200)}", "x" * 256, ex=rnd.randrange(30, 600))
        pipe.incr("counter:visits")
        pipe.hset(f"cart:{rnd.randrange(50)}", "item", rnd.randrange(1000))
        pipe.execute()
        if tick % 5 == 0:
            other.set(f"cache:{rnd.randrange(100)}", "y" * 64)
            other.get(f"cache:{rnd.randrange(150)}")

    async def _postgres_step(self, pools: dict[str, Any], tick: int) -> None:
        shop = pools["shop"]
        async with shop.acquire() as connection:
            transaction = connection.transaction()
            await transaction.start()
            await connection.execute(
                "INSERT INTO orders (amount) VALUES ($1)", self._random.randrange(1, 500)
            )
            # One transaction in ten is rolled back: "rollback ratio" has an answer.
            if tick % 10 == 0:
                await transaction.rollback()
            else:
                await transaction.commit()
            await connection.fetch("SELECT count(*), sum(amount) FROM orders")
        if tick % 3 == 0:
            async with pools["inventory"].acquire() as connection:
                await connection.fetch("SELECT * FROM items WHERE id = $1", tick % 100)


@dataclass
class ExportersWorld:
    """Redis, PostgreSQL, their exporters, node/blackbox exporters and Prometheus."""

    scrape_interval: int = 2
    startup_timeout: float = 90.0
    with_blackbox: bool | None = None  # None: when the binary is installed
    prometheus_binary: str = "prometheus"
    log_dir: Path | None = None

    prometheus_url: str = field(init=False, default="")
    redis_url: str = field(init=False, default="")
    postgres_url: str = field(init=False, default="")
    jobs: list[Job] = field(init=False, default_factory=list)
    _stops: list[Callable[[], None]] = field(init=False, default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(init=False, default=None)
    _workload: Workload | None = field(init=False, default=None)

    def __enter__(self) -> ExportersWorld:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> ExportersWorld:
        """Bring everything up, or stop whatever did start and raise."""
        missing = missing_exporters()
        if missing:
            raise RuntimeError(f"{', '.join(missing)} not found: run make install")
        try:
            self._tmp = tempfile.TemporaryDirectory(prefix="obsai-exporters-world-")
            run_dir = Path(self._tmp.name)
            logs = self.log_dir or run_dir / "logs"
            self._start_redis(run_dir, logs)
            self._start_postgres(run_dir, logs)
            self._start_exporters(run_dir, logs)
            self._start_workload()
            self._start_prometheus(run_dir, logs)
            self._wait_for_scrapes()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop everything started, newest first, and remove temporary files."""
        while self._stops:
            stop = self._stops.pop()
            with contextlib.suppress(Exception):
                stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # --- the parts

    def _start_redis(self, run_dir: Path, logs: Path) -> None:
        server = RedisServer(run_dir / "redis", log_path=logs / "redis.log").start()
        self._stops.append(server.stop)
        self.redis_url = server.url
        client = redis.Redis.from_url(server.url)
        try:
            client.config_set("maxmemory", str(REDIS_MAXMEMORY))
            client.config_set("maxmemory-policy", "allkeys-lru")
        finally:
            client.close()

    def _start_postgres(self, run_dir: Path, logs: Path) -> None:
        postgres = EmbeddedPostgres(
            run_dir / "pgdata", durable=False, log_path=logs / "postgres.log"
        ).start()
        self._stops.append(postgres.stop)
        self.postgres_url = postgres.url
        asyncio.run(_create_databases(postgres.url))

    def _start_exporters(self, run_dir: Path, logs: Path) -> None:
        node = self._exporter(
            "node",
            logs,
            lambda port: [shutil.which(NODE_EXPORTER) or NODE_EXPORTER, _listen(port)],
        )
        redis_exporter = self._exporter(
            "redis",
            logs,
            lambda port: [
                shutil.which(REDIS_EXPORTER) or REDIS_EXPORTER,
                f"-redis.addr={self.redis_url.rsplit('/', 1)[0]}",
                f"-web.listen-address=127.0.0.1:{port}",
            ],
        )
        dsn = f"{self.postgres_url}?sslmode=disable"
        postgres = self._exporter(
            "postgres",
            logs,
            lambda port: [shutil.which(POSTGRES_EXPORTER) or POSTGRES_EXPORTER, _listen(port)],
            env={"DATA_SOURCE_NAME": dsn},
        )
        self.jobs = [Job("node", node), Job("redis", redis_exporter), Job("postgres", postgres)]
        blackbox = self.with_blackbox
        if blackbox is None:
            blackbox = shutil.which(BLACKBOX_EXPORTER) is not None
        if blackbox:
            self._start_blackbox(run_dir, logs, node)

    def _start_blackbox(self, run_dir: Path, logs: Path, node_address: str) -> None:
        config = run_dir / "blackbox.yml"
        config.write_text(_BLACKBOX_CONFIG, encoding="utf-8")
        address = self._exporter(
            "blackbox",
            logs,
            lambda port: [
                shutil.which(BLACKBOX_EXPORTER) or BLACKBOX_EXPORTER,
                f"--config.file={config}",
                _listen(port),
            ],
        )
        closed = f"127.0.0.1:{free_port()}"  # nothing listens here: a probe that fails
        redis_address = self.redis_url.removeprefix("redis://").rsplit("/", 1)[0]
        postgres_address = self.postgres_url.split("@", 1)[1].split("/", 1)[0]
        self.jobs += [
            Job("blackbox", address),
            Job(
                "http-probe",
                address,
                "/probe",
                "http_2xx",
                (f"http://{node_address}/metrics", f"http://{closed}/health"),
            ),
            Job("tcp-probe", address, "/probe", "tcp_connect", (redis_address, postgres_address)),
        ]

    def _exporter(
        self,
        name: str,
        logs: Path,
        argv: Callable[[int], list[str]],
        env: dict[str, str] | None = None,
    ) -> str:
        port = free_port()
        process = ManagedProcess(
            f"{name}-exporter", argv(port), logs / f"{name}-exporter.log", env=env
        )
        self._stops.append(process.stop)
        process.wait_until(lambda: port_open("127.0.0.1", port), self.startup_timeout, "listening")
        return f"127.0.0.1:{port}"

    def _start_workload(self) -> None:
        base = self.postgres_url.rsplit("/", 1)[0]
        workload = Workload(self.redis_url, {name: f"{base}/{name}" for name in DATABASES})
        workload.start()
        self._workload = workload
        self._stops.append(workload.stop)

    def _start_prometheus(self, run_dir: Path, logs: Path) -> None:
        port = free_port()
        config = run_dir / "prometheus.yml"
        config.write_text(
            render_config(port, self.jobs, f"{self.scrape_interval}s"), encoding="utf-8"
        )
        process = ManagedProcess(
            "prometheus",
            [
                self.prometheus_binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={run_dir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            logs / "prometheus.log",
        )
        self._stops.append(process.stop)
        self.prometheus_url = f"http://127.0.0.1:{port}"
        process.wait_until(self._ready, self.startup_timeout, "ready")
        self._prometheus = process

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.prometheus_url}/-/ready", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def _wait_for_scrapes(self) -> None:
        """Every job scraped MIN_SCRAPES times (the failing probe's target counts too)."""
        expected = {"prometheus", *(job.name for job in self.jobs)}
        window = f"{(MIN_SCRAPES + 2) * self.scrape_interval}s"

        def scraped() -> bool:
            if self._workload is not None and self._workload.error is not None:
                raise RuntimeError(f"the workload failed: {self._workload.error!r}")
            response = httpx.get(
                f"{self.prometheus_url}/api/v1/query",
                params={"query": f"min by (job) (count_over_time(up[{window}]))"},
                timeout=2.0,
            )
            rows = response.json()["data"]["result"]
            counts = {r["metric"]["job"]: float(r["value"][1]) for r in rows}
            return all(counts.get(job, 0) >= MIN_SCRAPES for job in expected)

        self._prometheus.wait_until(scraped, self.startup_timeout, "scraping every exporter")


def _listen(port: int) -> str:
    return f"--web.listen-address=127.0.0.1:{port}"


async def _create_databases(url: str) -> None:
    base = url.rsplit("/", 1)[0]
    connection = await asyncpg.connect(url)
    try:
        for name in DATABASES:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    shop = await asyncpg.connect(f"{base}/shop")
    try:
        await shop.execute(
            "CREATE TABLE orders (id bigserial PRIMARY KEY, amount int NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
    finally:
        await shop.close()
    inventory = await asyncpg.connect(f"{base}/inventory")
    try:
        await inventory.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)")
        await inventory.executemany(
            "INSERT INTO items VALUES ($1, $2)", [(i, f"item {i}") for i in range(100)]
        )
    finally:
        await inventory.close()


def main() -> None:
    """Run the world in the foreground until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with ExportersWorld() as world:
        print(f"prometheus {world.prometheus_url}", flush=True)
        print("jobs: " + ", ".join(["prometheus", *(j.name for j in world.jobs)]), flush=True)
        while not stop.is_set():
            time.sleep(0.5)


if __name__ == "__main__":
    main()
