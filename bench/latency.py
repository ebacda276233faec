"""Latency rows shared by the benchmarks: percentiles over measured samples."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass
class Row:
    case: str
    requests: int
    p50_ms: float
    p99_ms: float
    mean_ms: float


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(round(q * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


def row(case: str, values: list[float]) -> Row:
    return Row(
        case,
        len(values),
        round(percentile(values, 0.5), 2),
        round(percentile(values, 0.99), 2),
        round(statistics.fmean(values), 2),
    )


def print_table(rows: list[Row]) -> None:
    width = max(len(r.case) for r in rows)
    print(f"{'case':<{width}}  {'n':>5}  {'p50 ms':>8}  {'p99 ms':>8}  {'mean ms':>8}")
    for r in rows:
        numbers = f"{r.requests:>5}  {r.p50_ms:>8.2f}  {r.p99_ms:>8.2f}  {r.mean_ms:>8.2f}"
        print(f"{r.case:<{width}}  {numbers}")
