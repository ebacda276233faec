"""History for the demo world: the model written as OpenMetrics, then TSDB blocks.

Every series gets the `job` and `instance` labels that scraping will give it
(see `obsai_demo.prometheus`), so the backfilled past and the scraped present
are one series. `up` is backfilled too, so availability questions have history.
The file is streamed one series at a time; memory stays small whatever the span.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from obsai_demo.estate import NAMESPACES, service_names
from obsai_demo.series import (
    BUCKET_LABELS,
    Family,
    FamilySeries,
    HistogramSeries,
    Series,
    build_families,
)

DEFAULT_INSTANCE = "demo-exporter"
# promtool re-reads the whole file once per block window; windows of 54h (a
# size Prometheus compacts to anyway) mean a day of history is read 2-3 times
# rather than once per 2h block.
MAX_BLOCK_DURATION = "54h"
# Longer than the 5m windows most queries use.
TAIL_SECONDS = 600


@dataclass(frozen=True)
class BackfillResult:
    samples: int
    first: int
    last: int
    write_seconds: float
    promtool_seconds: float


def job_for(service: str) -> str:
    """Each demo service is scraped as its own job, named after the service."""
    return service


def timestamps(
    end: float, hours: float, step: int, tail_step: int | None = None
) -> tuple[int, ...]:
    """Unix seconds covering the `hours` up to `end`: every `step`, on a step grid.

    With `tail_step` (the scrape interval) the last TAIL_SECONDS are that fine.
    Prometheus's rate() extrapolates from the average spacing in its window, so a
    window holding both 60s history and 15s scrapes would read about 15% low
    for five minutes after the start; an even spacing at the hand-over avoids it.
    """
    if step <= 0 or (tail_step is not None and tail_step <= 0):
        raise ValueError("steps must be a positive number of seconds")
    last = int(end)
    start = -(-(last - int(hours * 3600)) // step) * step
    if tail_step is None:
        return tuple(range(start, last + 1, step))
    tail_start = max(start, last - TAIL_SECONDS // tail_step * tail_step)
    return (*range(start, tail_start, step), *range(tail_start, last + 1, tail_step))


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def label_text(names: Sequence[str], values: Sequence[str]) -> str:
    return ",".join(f'{n}="{escape(v)}"' for n, v in zip(names, values, strict=True))


def _header(out: TextIO, family: Family) -> None:
    name = family.metadata_name
    out.write(f"# TYPE {name} {family.kind.value}\n")
    if family.unit:
        out.write(f"# UNIT {name} {family.unit}\n")
    out.write(f"# HELP {name} {escape(family.help)}\n")


def _scalar_lines(name: str, labels: str, series: Series, times: Sequence[int]) -> Iterable[str]:
    prefix = f"{name}{{{labels}}} "
    value_at = series.value_at
    return (f"{prefix}{value_at(t)!r} {t}\n" for t in times)


def _histogram_lines(
    name: str, labels: str, series: HistogramSeries, times: Sequence[int]
) -> list[str]:
    buckets = [f'{name}_bucket{{{labels},le="{le}"}} ' for le in BUCKET_LABELS]
    count = f"{name}_count{{{labels}}} "
    total = f"{name}_sum{{{labels}}} "
    lines: list[str] = []
    for t in times:
        point = series.at(t)
        pairs = zip(buckets, point.buckets, strict=True)
        lines.extend(f"{prefix}{value!r} {t}\n" for prefix, value in pairs)
        lines.append(f"{count}{point.count!r} {t}\n")
        lines.append(f"{total}{point.sum!r} {t}\n")
    return lines


def write_family(
    out: TextIO, family_series: FamilySeries, times: Sequence[int], job: str | None, instance: str
) -> int:
    """Write one family's samples, series after series; returns the sample count."""
    family = family_series.family
    _header(out, family)
    names = (*family.label_names, "job", "instance")
    samples = 0
    for series in family_series.series:
        labels = label_text(names, (*series.label_values, job or job_for(series.service), instance))
        if isinstance(series, HistogramSeries):
            lines = _histogram_lines(family.name, labels, series, times)
            out.writelines(lines)
            samples += len(lines)
        else:
            out.writelines(_scalar_lines(family.name, labels, series, times))
            samples += len(times)
    return samples


def write_up(out: TextIO, times: Sequence[int], job: str | None, instance: str) -> int:
    """`up` as Prometheus records it for each demo target: 1, every step."""
    out.write("# TYPE up gauge\n# HELP up 1 if the target was scraped successfully.\n")
    samples = 0
    for service in service_names():
        for namespace in NAMESPACES:
            labels = label_text(
                ("job", "instance", "service", "namespace", "environment"),
                (job or job_for(service), instance, service, namespace, namespace),
            )
            out.writelines(f"up{{{labels}}} 1 {t}\n" for t in times)
            samples += len(times)
    return samples


def write_openmetrics(
    out: TextIO,
    times: Sequence[int],
    instance: str = DEFAULT_INSTANCE,
    job: str | None = None,
    families: tuple[FamilySeries, ...] | None = None,
) -> int:
    """The whole estate over `times` as one OpenMetrics document; returns samples."""
    families = build_families() if families is None else families
    samples = sum(write_family(out, f, times, job, instance) for f in families)
    samples += write_up(out, times, job, instance)
    out.write("# EOF\n")
    return samples


def create_blocks(openmetrics_file: Path, out_dir: Path, promtool: str = "promtool") -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        promtool,
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--quiet",
        f"--max-block-duration={MAX_BLOCK_DURATION}",
        str(openmetrics_file),
        str(out_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = result.stderr.strip() or result.stdout.strip()
        raise RuntimeError(f"promtool failed ({result.returncode}): {output}")


def backfill(
    out_dir: Path,
    hours: float,
    end: float,
    step: int = 60,
    instance: str = DEFAULT_INSTANCE,
    job: str | None = None,
    promtool: str = "promtool",
    tail_step: int | None = None,
) -> BackfillResult:
    """Write `hours` of history ending at `end` as TSDB blocks into `out_dir`."""
    if end > time.time() + 60:
        # Prometheus rejects scraped samples older than its newest block.
        raise ValueError("end is in the future; live scrapes could not follow the history")
    times = timestamps(end, hours, step, tail_step)
    with tempfile.TemporaryDirectory(prefix="obsai-backfill-") as work:
        path = Path(work) / "history.om"
        started = time.monotonic()
        with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
            samples = write_openmetrics(out, times, instance, job)
        written = time.monotonic()
        create_blocks(path, out_dir, promtool)
    return BackfillResult(
        samples=samples,
        first=times[0],
        last=times[-1],
        write_seconds=written - started,
        promtool_seconds=time.monotonic() - written,
    )
