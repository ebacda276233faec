"""Stage 4 — verify: every candidate plan is parsed (promql-parser) and checked by the
query service's validator against the catalog's view of its metrics; plans that
fail are dropped, the rest stay in rank order. The pipeline runs the first and,
when Prometheus refuses it or it returns no data, the next (see
`Generation.alternatives`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from obsai_query.catalog_client import MetricInfo
from obsai_query.grounding import Grounding
from obsai_query.planner.choose import family, family_part
from obsai_query.planner.compose import Plan
from obsai_query.validator import PromqlValidator, metric_names


def families_of(by_name: Mapping[str, MetricInfo]) -> dict[str, MetricInfo]:
    return {family(n): m for n, m in by_name.items() if m.type in ("histogram", "summary")}


def lookup_for(
    promqls: Sequence[str],
    by_name: Mapping[str, MetricInfo],
    families: Mapping[str, MetricInfo] | None = None,
) -> dict[str, MetricInfo | None]:
    """Catalog entries of the metrics the queries name; a histogram's or summary's
    _bucket/_sum/_count the grounding lacks are described from their kin."""
    families = families_of(by_name) if families is None else families
    lookup: dict[str, MetricInfo | None] = {}
    for promql in promqls:
        for name in metric_names(promql):
            if name in by_name:
                lookup[name] = by_name[name]
            elif (kin := families.get(family(name))) is not None:
                lookup[name] = family_part(kin, name[len(family(name)) :], by_name)
            else:
                lookup[name] = None
    return lookup


def verify(
    plans: Sequence[Plan],
    grounding: Grounding,
    validator: PromqlValidator,
    metrics: Sequence[MetricInfo] | None = None,
) -> tuple[list[Plan], list[tuple[Plan, list[str]]]]:
    """(plans that parse and validate, in order and without repeats; refused ones with why).

    `metrics`: the candidates the plans were written from (the grounding's by default)."""
    by_name = grounding.by_name if metrics is None else {m.name: m for m in metrics}
    families = families_of(by_name)
    kept: list[Plan] = []
    refused: list[tuple[Plan, list[str]]] = []
    seen: set[str] = set()
    for plan in plans:
        if not plan.promql or plan.promql in seen:
            continue
        seen.add(plan.promql)
        texts = [plan.promql, *(p.promql for p in plan.additional)]
        lookup = lookup_for(texts, by_name, families)
        span = 0.0 if plan.instant else grounding.window.duration
        problems = [
            str(problem)
            for text in texts
            for problem in validator.validate(text, lookup, span).problems
        ]
        if problems:
            refused.append((plan, problems))
        else:
            kept.append(plan)
    return kept, refused
