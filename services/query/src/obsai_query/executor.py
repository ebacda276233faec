"""Runs validated PromQL on Prometheus/Mimir: instant by default, range when asked.

The tenant (X-Scope-OrgID) is the caller's, from the verified identity or the
service's configuration — never from the question. Prometheus's `warnings` and
`infos` come back with the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from obsai_query.prometheus import PrometheusClient
from obsai_query.time_range import TimeWindow, format_duration


@dataclass(frozen=True, slots=True)
class Sample:
    timestamp: float
    value: float


@dataclass(frozen=True, slots=True)
class SeriesData:
    labels: Mapping[str, str] = field(default_factory=dict)
    value: Sample | None = None
    values: tuple[Sample, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultData:
    type: str = "vector"  # vector | matrix | scalar | string
    series: tuple[SeriesData, ...] = ()
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Execution:
    result: ResultData
    warnings: tuple[str, ...] = ()
    infos: tuple[str, ...] = ()


def _sample(pair: Any) -> Sample:
    return Sample(float(pair[0]), float(pair[1]))


def parse_result(data: Mapping[str, Any], max_series: int) -> ResultData:
    """Prometheus's `data` object as a ResultData, cut to `max_series` series."""
    kind = str(data.get("resultType", ""))
    raw = data.get("result")
    if kind in ("scalar", "string"):
        value: list[Any] = raw if isinstance(raw, list) else [0, "NaN"]
        if kind == "string":
            return ResultData(
                kind, (SeriesData({"value": str(value[1])}, Sample(float(value[0]), 0.0)),)
            )
        return ResultData(kind, (SeriesData({}, _sample(value)),))
    items = raw if isinstance(raw, list) else []
    series = []
    for item in items[:max_series]:
        labels = dict(item.get("metric") or {})
        if kind == "matrix":
            series.append(SeriesData(labels, None, tuple(_sample(p) for p in item["values"])))
        else:
            series.append(SeriesData(labels, _sample(item["value"]), ()))
    return ResultData(kind, tuple(series), len(items) > max_series)


class Executor:
    def __init__(
        self,
        prometheus: PrometheusClient,
        *,
        timeout: float = 10.0,
        max_series: int = 500,
    ) -> None:
        self._prometheus = prometheus
        self._timeout = timeout
        self._max_series = max_series

    async def execute(self, promql: str, window: TimeWindow, tenant: str) -> Execution:
        form = {"query": promql, "timeout": f"{self._timeout:g}s"}
        if window.is_range:
            assert window.start is not None
            path = "/api/v1/query_range"
            form.update(
                start=f"{window.start:.3f}",
                end=f"{window.end:.3f}",
                step=format_duration(window.step),
            )
        else:
            path = "/api/v1/query"
            form["time"] = f"{window.end:.3f}"
        # Prometheus >= 3.0 and Mimir cut the result themselves; older ones ignore it.
        form["limit"] = str(self._max_series + 1)
        body = await self._prometheus.evaluate(
            path, form, tenant=tenant, timeout=self._timeout, promql=promql
        )
        data = body.get("data") or {}
        return Execution(
            parse_result(data, self._max_series),
            tuple(str(w) for w in body.get("warnings") or ()),
            tuple(str(i) for i in body.get("infos") or ()),
        )
