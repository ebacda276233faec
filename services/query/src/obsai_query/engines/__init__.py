"""Engines turn a grounded question into PromQL: one interface, several engines.

    Engine.generate(question, grounding, feedback) -> Generation

``feedback`` carries the validator's problems (and Prometheus's warnings) from
a previous attempt, for engines that can repair (``repairable``). An engine that
cannot answer right now raises ``EngineUnavailable``; ``FallbackEngine`` then
asks the next one and says so in ``Generation.engine``.
"""

from __future__ import annotations

from obsai_query.engines.base import (
    Engine,
    EngineUnavailable,
    FallbackEngine,
    Generation,
    QueryPart,
)

__all__ = ["Engine", "EngineUnavailable", "FallbackEngine", "Generation", "QueryPart"]
