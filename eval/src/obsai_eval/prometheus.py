"""Instant queries against Prometheus's HTTP API, results as plain values.

Queries go as a form POST (long PromQL does not fit every URL). A query that
Prometheus refuses (bad syntax, an execution error such as many-to-many
matching, a timeout) raises `PrometheusError` with Prometheus's own message;
so does a Prometheus that cannot be reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx


class PrometheusError(Exception):
    """Prometheus refused a query, or could not be asked."""


@dataclass(frozen=True)
class Sample:
    """One series of an instant result: its labels and its value."""

    labels: Mapping[str, str]
    value: float


@dataclass(frozen=True)
class InstantResult:
    """`kind` is Prometheus's resultType: vector, scalar, matrix or string.

    A scalar is one sample without labels. A matrix (a range selector queried
    at an instant) and a string keep no samples: they are not comparable values.
    """

    kind: str
    samples: tuple[Sample, ...] = field(default=())

    @staticmethod
    def vector(*samples: tuple[Mapping[str, str], float]) -> InstantResult:
        return InstantResult("vector", tuple(Sample(dict(lb), v) for lb, v in samples))

    @staticmethod
    def scalar(value: float) -> InstantResult:
        return InstantResult("scalar", (Sample({}, value),))


def parse_result(data: Mapping[str, Any]) -> InstantResult:
    """The `data` member of a successful /api/v1/query answer."""
    kind = str(data.get("resultType", ""))
    result = data.get("result")
    if kind == "vector" and isinstance(result, list):
        return InstantResult(
            kind,
            tuple(Sample(dict(item.get("metric", {})), float(item["value"][1])) for item in result),
        )
    if kind == "scalar" and isinstance(result, list):
        return InstantResult(kind, (Sample({}, float(result[1])),))
    return InstantResult(kind or "unknown")


class PrometheusClient:
    """A small synchronous client; use as a context manager or call close()."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def instant(self, promql: str, at: float) -> InstantResult:
        """Evaluate `promql` at unix time `at`."""
        try:
            response = self._client.post(
                "/api/v1/query", data={"query": promql, "time": f"{at:.3f}"}
            )
        except httpx.HTTPError as exc:
            raise PrometheusError(f"cannot reach Prometheus at {self.base_url}: {exc}") from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code != 200 or payload.get("status") != "success":
            detail = payload.get("error") or response.text[:300] or response.reason_phrase
            raise PrometheusError(f"{detail} (HTTP {response.status_code})")
        return parse_result(payload.get("data", {}))

    def check(self) -> None:
        """Raise PrometheusError unless Prometheus answers a trivial query."""
        self.instant("1", 0.0)
