"""What a run prints and writes: a table, misses by category, a JSON report, and
the accuracy line that is always the last line of the output."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from obsai_eval.runner import QuestionResult, Run

_COLUMNS = ("id", "category", "match", "metrics ok", "engine", "latency ms")


def accuracy_line(run: Run) -> str:
    """`execution accuracy: N/M = P%`, P with one decimal."""
    return f"execution accuracy: {run.matched}/{run.total} = {_percent(run.matched, run.total)}%"


def table(results: Sequence[QuestionResult]) -> str:
    """One row per question: id, category, match, metrics ok, engine, latency ms."""
    rows = [
        (
            r.id,
            r.category,
            "yes" if r.match else "no",
            "yes" if r.metrics_ok else "no",
            r.engine or "-",
            _latency(r),
        )
        for r in results
    ]
    widths = [max([len(c), *(len(row[i]) for row in rows)]) for i, c in enumerate(_COLUMNS)]
    numeric = {len(_COLUMNS) - 1}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    return "\n".join([line(_COLUMNS), line(["-" * w for w in widths]), *map(line, rows)])


def misses_by_category(results: Sequence[QuestionResult]) -> str:
    """Per category: matched/total, then each miss with its reason."""
    lines = ["misses by category:"]
    for category, members in _by_category(results).items():
        matched = sum(r.match for r in members)
        lines.append(
            f"  {category}: {matched}/{len(members)} matched ({_percent(matched, len(members))}%)"
        )
        lines.extend(
            f"    {r.id}: {r.reason or 'no match'}"
            + (f"\n      answer: {r.promql}" if r.promql else "")
            for r in members
            if not r.match
        )
    return "\n".join(lines)


def summary(run: Run) -> dict[str, Any]:
    results = run.results
    client = [r.client_ms for r in results if r.client_ms > 0]
    server = [r.server_ms for r in results if r.server_ms is not None]
    return {
        "matched": run.matched,
        "total": run.total,
        "execution_accuracy": _ratio(run.matched, run.total),
        "syntax_valid": sum(r.syntax_valid for r in results),
        "syntax_validity": _ratio(sum(r.syntax_valid for r in results), run.total),
        "metrics_ok": sum(r.metrics_ok for r in results),
        "metric_accuracy": _ratio(sum(r.metrics_ok for r in results), run.total),
        "gold_errors": [r.id for r in results if r.gold_error],
        "engines": dict(Counter(r.engine or "-" for r in results)),
        "latency_ms": {"client": _percentiles(client), "server": _percentiles(server)},
        "by_category": {
            category: {
                "matched": sum(r.match for r in members),
                "total": len(members),
                "misses": [r.id for r in members if not r.match],
            }
            for category, members in _by_category(results).items()
        },
    }


def summary_text(run: Run) -> str:
    s = summary(run)
    client = s["latency_ms"]["client"]
    server = s["latency_ms"]["server"]
    engines = ", ".join(f"{k} {v}" for k, v in sorted(s["engines"].items()))
    lines = [
        f"questions: {run.total}   evaluated at {_iso(run.evaluated_at)}"
        f"   tolerance {run.rel_tolerance:.0%}",
        f"syntax valid: {s['syntax_valid']}/{run.total}"
        f" = {_percent(s['syntax_valid'], run.total)}%",
        f"metric accuracy: {s['metrics_ok']}/{run.total} = {_percent(s['metrics_ok'], run.total)}%",
        f"engines: {engines or '-'}",
    ]
    if client:
        lines.append(
            f"latency ms (client): p50 {client['p50']:.0f}  p95 {client['p95']:.0f}"
            f"  max {client['max']:.0f}"
        )
    if server:
        lines.append(
            f"latency ms (server total): p50 {server['p50']:.0f}  p95 {server['p95']:.0f}"
            f"  max {server['max']:.0f}"
        )
    if s["gold_errors"]:
        lines.append(f"golds that failed or returned nothing: {', '.join(s['gold_errors'])}")
    return "\n".join(lines)


def render(run: Run) -> str:
    """Everything printed to stdout; the accuracy line is the last line."""
    return "\n\n".join(
        [table(run.results), misses_by_category(run.results), summary_text(run), accuracy_line(run)]
    )


def to_json(run: Run) -> dict[str, Any]:
    return {
        "questions_file": run.questions_file,
        "obsai_url": run.obsai_url,
        "prometheus_url": run.prometheus_url,
        "answerer": run.answerer,
        "evaluated_at": run.evaluated_at,
        "evaluated_at_iso": _iso(run.evaluated_at),
        "rel_tolerance": run.rel_tolerance,
        "abs_epsilon": run.abs_epsilon,
        "wall_seconds": round(run.wall_seconds, 3),
        "summary": summary(run),
        "accuracy_line": accuracy_line(run),
        "results": [asdict(r) for r in run.results],
    }


def _by_category(results: Sequence[QuestionResult]) -> dict[str, list[QuestionResult]]:
    groups: dict[str, list[QuestionResult]] = {}
    for r in results:
        groups.setdefault(r.category, []).append(r)
    return dict(sorted(groups.items()))


def _latency(r: QuestionResult) -> str:
    if r.client_ms <= 0:
        return "-"
    return f"{r.client_ms:.0f}"


def _percent(n: int, m: int) -> str:
    return f"{100.0 * n / m:.1f}" if m else "0.0"


def _ratio(n: int, m: int) -> float:
    return n / m if m else 0.0


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    mean = sum(ordered) / len(ordered)
    return {"p50": at(0.5), "p95": at(0.95), "max": ordered[-1], "mean": mean}


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")
