"""The Prometheus of the demo world: its config and its command line.

Each demo service is a scrape job named after it, with one target per namespace
(the exporter narrowed by `?service=&namespace=`), labelled like a Kubernetes
target: `up{job="payment", service="payment", namespace="production"}`. The
`instance` label is a stable name rather than the exporter's port, so history
backfilled before a start joins the series scraped after it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from obsai_demo.backfill import DEFAULT_INSTANCE, job_for
from obsai_demo.estate import NAMESPACES, service_names

RETENTION = "30d"
DEFAULT_SCRAPE_INTERVAL = "15s"
_DURATION = re.compile(r"^(\d+(ms|s|m|h))+$")


@dataclass(frozen=True)
class ScrapeTarget:
    """One extra thing to scrape, e.g. an ObsAI service's metrics port."""

    job: str
    address: str
    metrics_path: str = "/metrics"

    @classmethod
    def parse(cls, text: str) -> ScrapeTarget:
        """`JOB=HOST:PORT` or `JOB=HOST:PORT/path`."""
        job, sep, rest = text.partition("=")
        if not sep or not job or not rest:
            raise ValueError(f"expected JOB=HOST:PORT[/path], got {text!r}")
        address, slash, path = rest.partition("/")
        return cls(job, address, f"/{path}" if slash else "/metrics")


@dataclass(frozen=True)
class DemoScrape:
    """Where the demo exporter listens and how its series are labelled."""

    address: str
    instance: str = DEFAULT_INSTANCE
    job: str | None = None


def _q(value: str) -> str:
    # A JSON string is a valid YAML scalar, and quoting keeps `:` and `*` literal.
    return json.dumps(value)


def _job_header(job: str, interval: str, metrics_path: str = "/metrics") -> list[str]:
    return [
        f"  - job_name: {_q(job)}",
        f"    scrape_interval: {_q(interval)}",
        f"    metrics_path: {_q(metrics_path)}",
    ]


def _demo_target(demo: DemoScrape, service: str, namespace: str) -> list[str]:
    labels = {
        "instance": demo.instance,
        "service": service,
        "namespace": namespace,
        "environment": namespace,
    }
    rendered = ", ".join(f"{k}: {_q(v)}" for k, v in labels.items())
    return [
        f"      - targets: [{_q(demo.address)}]",
        f"        labels: {{{rendered}}}",
    ]


def _demo_jobs(demo: DemoScrape, interval: str) -> dict[str, list[str]]:
    targets: dict[str, list[str]] = {}
    for service in service_names():
        for namespace in NAMESPACES:
            job = demo.job or job_for(service)
            targets.setdefault(job, []).extend(_demo_target(demo, service, namespace))
    return {
        job: [
            *_job_header(job, interval),
            # The exporter's own service/namespace labels must win over the
            # target's (they are equal), not be renamed to exported_*.
            "    honor_labels: true",
            "    static_configs:",
            *lines,
            "    relabel_configs:",
            "      - source_labels: [service]",
            "        target_label: __param_service",
            "      - source_labels: [namespace]",
            "        target_label: __param_namespace",
        ]
        for job, lines in targets.items()
    }


def render_config(
    port: int,
    demo: DemoScrape | None,
    extra: Sequence[ScrapeTarget] = (),
    scrape_interval: str = DEFAULT_SCRAPE_INTERVAL,
) -> str:
    """prometheus.yml: Prometheus itself, the demo estate, and any extra targets."""
    if not _DURATION.match(scrape_interval):
        raise ValueError(f"not a Prometheus duration: {scrape_interval!r}")
    own = f"127.0.0.1:{port}"
    jobs = {"prometheus": _static_job("prometheus", own, "/metrics", scrape_interval)}
    if demo is not None:
        _add_jobs(jobs, _demo_jobs(demo, scrape_interval))
    for target in extra:
        job = _static_job(target.job, target.address, target.metrics_path, scrape_interval)
        _add_jobs(jobs, {target.job: job})
    lines = [
        "# Written by obsai_demo.prometheus; edits are overwritten.",
        "global:",
        f"  scrape_interval: {_q(scrape_interval)}",
        f"  evaluation_interval: {_q(scrape_interval)}",
        "scrape_configs:",
    ]
    for job_lines in jobs.values():
        lines.extend(job_lines)
    return "\n".join(lines) + "\n"


def _static_job(job: str, address: str, metrics_path: str, interval: str) -> list[str]:
    return [
        *_job_header(job, interval, metrics_path),
        "    static_configs:",
        f"      - targets: [{_q(address)}]",
    ]


def _add_jobs(jobs: dict[str, list[str]], new: dict[str, list[str]]) -> None:
    clash = jobs.keys() & new.keys()
    if clash:
        raise ValueError(
            f"scrape job names must be unique; {sorted(clash)} already used "
            "(demo services are jobs named after them: prefix other jobs, e.g. obsai-auth)"
        )
    jobs.update(new)


def prometheus_command(
    config_file: Path, data_dir: Path, port: int, binary: str = "prometheus"
) -> list[str]:
    """The Prometheus command line, listening on loopback only.

    Blocks that promtool wrote into the data directory before the start are
    loaded as they are; Prometheus >= 2.39 also merges overlapping blocks
    without a flag, so no backfill option is needed.
    """
    return [
        binary,
        f"--config.file={config_file}",
        f"--storage.tsdb.path={data_dir}",
        f"--storage.tsdb.retention.time={RETENTION}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]


def write_config(
    path: Path,
    port: int,
    demo: DemoScrape | None,
    extra: Sequence[ScrapeTarget] = (),
    scrape_interval: str = DEFAULT_SCRAPE_INTERVAL,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_config(port, demo, extra, scrape_interval), encoding="utf-8")
    return path
