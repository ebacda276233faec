"""Whole-product health from real checks, each bounded so a dead dependency
reports unhealthy instead of hanging the probe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True, slots=True)
class CheckResult:
    status: Status
    latency_ms: float
    message: str = ""


Check = Callable[[], Awaitable[None]]


class NotConfigured(Exception):
    """Raised by a check whose dependency is intentionally absent (e.g. no Claude key)."""


async def run_check(check: Check, limit_seconds: float) -> CheckResult:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), limit_seconds)
    except NotConfigured as reason:
        return CheckResult(Status.NOT_CONFIGURED, _ms(started), str(reason))
    except TimeoutError:
        return CheckResult(Status.UNHEALTHY, _ms(started), f"no answer within {limit_seconds:g}s")
    except Exception as error:  # any failure of a dependency is a health verdict
        return CheckResult(Status.UNHEALTHY, _ms(started), _safe_message(error))
    return CheckResult(Status.HEALTHY, _ms(started))


async def run_checks(checks: Mapping[str, Check], limit_seconds: float) -> dict[str, CheckResult]:
    names = list(checks)
    results = await asyncio.gather(*(run_check(checks[n], limit_seconds) for n in names))
    return dict(zip(names, results, strict=True))


# Without these nothing can be answered; the others only degrade answers
# (no cache without Redis; the planner serves while Claude is down).
ESSENTIAL = frozenset({"database", "prometheus"})


def overall(components: Mapping[str, CheckResult]) -> Status:
    failing = {n for n, r in components.items() if r.status is Status.UNHEALTHY}
    if failing & ESSENTIAL:
        return Status.UNHEALTHY
    return Status.DEGRADED if failing else Status.HEALTHY


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _safe_message(error: Exception) -> str:
    # The type and a short text only: no DSNs, URLs with credentials or stack traces.
    text = str(error).split("\n", 1)[0][:160]
    for marker in ("://", "password", "token", "key="):
        if marker in text.lower():
            return type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
