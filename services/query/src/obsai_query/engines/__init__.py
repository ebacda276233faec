"""Engines turn a grounded question into PromQL: one interface, several engines.

    Engine.generate(question, grounding, feedback) -> Generation

The deterministic planner (`obsai_query.planner`, exported here as `Planner`)
answers with no network; Claude (`engines.claude`) when a key is set.

``feedback`` carries the validator's problems (and Prometheus's warnings) from
a previous attempt, for engines that can repair (``repairable``). An engine that
cannot answer right now raises ``EngineUnavailable``; ``FallbackEngine`` then
asks the next one and says so in ``Generation.engine``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from obsai_query.engines.base import (
    Engine,
    EngineUnavailable,
    FallbackEngine,
    Generation,
    QueryPart,
)

if TYPE_CHECKING:
    from obsai_query.planner import Planner


def __getattr__(name: str) -> Any:
    # Imported on first use: the planner imports engines.base itself.
    if name == "Planner":
        from obsai_query.planner import Planner

        return Planner
    raise AttributeError(name)


__all__ = [
    "Engine",
    "EngineUnavailable",
    "FallbackEngine",
    "Generation",
    "Planner",
    "QueryPart",
]
