"""The engine interface, its result, and the fallback between engines."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from obsai_query.grounding import Grounding

log = logging.getLogger(__name__)

# Units an engine may name for its answer, so summaries can say "0.42 CPU cores".
UNITS = (
    "",
    "bytes",
    "bytes_per_second",
    "seconds",
    "cores",
    "ratio",
    "percent",
    "per_second",
    "count",
)


@dataclass(frozen=True, slots=True)
class QueryPart:
    """One PromQL query of an answer."""

    promql: str
    explanation: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Generation:
    promql: str
    explanation: str
    confidence: float
    assumptions: tuple[str, ...] = ()
    engine: str = ""
    unit: str = ""
    # Evaluate once at the end of an asked range: the expression already
    # summarises the window (max_over_time(...[7d:5m]), increase(x[1h]) ...).
    instant: bool = False
    # Further queries when the question asks for several things ("p50, p95 and p99").
    additional: tuple[QueryPart, ...] = ()
    # Whether the engine can take the validator's problems and try again.
    repairable: bool = False
    # Next-best answers, best first: the pipeline tries them in order when this
    # one is refused by the validator or by Prometheus, or returns no data.
    alternatives: tuple[Generation, ...] = ()

    @property
    def parts(self) -> tuple[QueryPart, ...]:
        return (QueryPart(self.promql, self.explanation, self.unit), *self.additional)


class EngineUnavailable(Exception):
    """The engine cannot answer now (upstream down, circuit open); try another."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Engine(Protocol):
    name: str

    async def generate(
        self, question: str, grounding: Grounding, feedback: Sequence[str] | None = None
    ) -> Generation: ...


class FallbackEngine:
    """The primary engine, or the fallback while the primary is unavailable."""

    def __init__(self, primary: Engine, fallback: Engine) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name

    async def generate(
        self, question: str, grounding: Grounding, feedback: Sequence[str] | None = None
    ) -> Generation:
        try:
            return await self.primary.generate(question, grounding, feedback)
        except EngineUnavailable as error:
            log.warning(
                "engine unavailable, falling back",
                extra={"engine": self.primary.name, "reason": error.reason},
            )
            generation = await self.fallback.generate(question, grounding, None)
            return replace(generation, engine=f"{self.fallback.name} (fallback: {error.reason})")
