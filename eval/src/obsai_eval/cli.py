"""`python -m obsai_eval`: execution accuracy of ObsAI on a questions file.

Which ObsAI is asked:
  --url URL            that one (then --prometheus must be the Prometheus it uses);
  otherwise            the stack answering at $OBSAI_URL (default
                       http://127.0.0.1:8080) if its /health answers, again with
                       --prometheus (or $PROMETHEUS_URL);
  otherwise            a stack started for the run in a temporary directory (needs
                       obsai-devstack): the demo world, or the Prometheus given by
                       --prometheus; logged in as its bootstrap admin.

Credentials for an existing stack: --api-key, or --username/--password, or
$OBSAI_API_KEY, or the bootstrap admin ($OBSAI_ADMIN_USERNAME, default admin)
with $OBSAI_ADMIN_PASSWORD.

Standard output: the table, misses by category, a summary, and as the last line
`execution accuracy: N/M = P%`. Progress goes to standard error. Exit status 0
after a run (however accurate, unless --min-accuracy is not met), 1 below
--min-accuracy, 2 when the run could not start.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

import httpx

from obsai_eval.answerers import AnswererError, ApiKey, Credentials, HttpAnswerer, Login
from obsai_eval.compare import REL_TOLERANCE
from obsai_eval.prometheus import PrometheusClient, PrometheusError
from obsai_eval.questions import QuestionsError, load_questions, select
from obsai_eval.report import render, to_json
from obsai_eval.runner import QuestionResult, run

DEFAULT_OBSAI_URL = "http://127.0.0.1:8080"
# Written by `make run` (obsai_devstack) while its stack is up.
STACK_FILE = Path(".obsai") / "stack.json"
# Evaluate a little in the past: every scrape up to that instant has landed, so
# the gold and the answer read exactly the same samples however long the run.
DEFAULT_LAG_SECONDS = 60.0


class SetupError(Exception):
    """The run cannot start; the message says what to do."""


@dataclass(frozen=True)
class Target:
    obsai_url: str
    prometheus_url: str
    credentials: Credentials
    # The instant to evaluate at when --time is not given (None: shortly before now).
    default_time: float | None = None
    # A stack started for the run: scan Prometheus into the catalog before asking.
    fresh: bool = False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m obsai_eval",
        description="Execution accuracy of ObsAI's answers on a questions file.",
    )
    parser.add_argument("--questions", required=True, type=Path, help="questions YAML file")
    parser.add_argument(
        "--prometheus",
        default=os.environ.get("PROMETHEUS_URL") or None,
        help="the Prometheus ObsAI queries (default $PROMETHEUS_URL)",
    )
    parser.add_argument("--url", help="ObsAI's gateway URL (default: probe $OBSAI_URL)")
    parser.add_argument("--api-key", help="an ObsAI API key (default $OBSAI_API_KEY)")
    parser.add_argument("--username", help="log in as this user (with --password)")
    parser.add_argument("--password", help="that user's password")
    parser.add_argument("--report", type=Path, help="write the JSON report here")
    parser.add_argument("--limit", type=int, help="only the first N selected questions")
    parser.add_argument(
        "--category", action="append", default=[], help="only this category (repeatable)"
    )
    parser.add_argument("--id", action="append", default=[], help="only this id (repeatable)")
    parser.add_argument(
        "--time",
        help="evaluation instant, unix seconds or RFC 3339 (default: 60 s ago)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=REL_TOLERANCE,
        help=f"relative tolerance of a value match (default {REL_TOLERANCE})",
    )
    parser.add_argument(
        "--min-accuracy",
        type=float,
        help="exit 1 when execution accuracy (percent) is below this",
    )
    parser.add_argument(
        "--discover",
        action="store_true",
        help="run a discovery scan and wait for it before asking (admin; automatic"
        " for a stack started for the run)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    if args.limit is not None and args.limit < 1:
        return _fail("--limit must be at least 1")
    if bool(args.username) != bool(args.password):
        return _fail("--username and --password go together")
    try:
        questions = select(load_questions(args.questions), args.category, args.id, args.limit)
        fixed_time = _evaluation_time(args.time)
    except (QuestionsError, ValueError) as exc:
        return _fail(str(exc))
    if not questions:
        return _fail("no questions selected")

    with contextlib.ExitStack() as resources:
        try:
            target = _resolve_target(args, resources)
            prometheus = resources.enter_context(PrometheusClient(target.prometheus_url))
            prometheus.check()
            answerer = resources.enter_context(HttpAnswerer(target.obsai_url, target.credentials))
            answerer.authenticate()
            if target.fresh or args.discover:
                print("waiting for a discovery scan of Prometheus…", file=sys.stderr)
                answerer.wait_for_discovery()
        except (SetupError, PrometheusError, AnswererError) as exc:
            return _fail(str(exc))

        at = next(
            (t for t in (fixed_time, target.default_time) if t is not None),
            time.time() - DEFAULT_LAG_SECONDS,
        )
        progress = None if args.quiet else _progress(len(questions))
        outcome = run(
            questions,
            answerer,
            prometheus,
            at,
            questions_file=str(args.questions),
            obsai_url=target.obsai_url,
            rel_tol=args.tolerance,
            on_result=progress,
        )

    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(to_json(outcome), indent=2) + "\n", encoding="utf-8")
    print(render(outcome), file=out, flush=True)
    accuracy = 100.0 * outcome.matched / outcome.total
    if args.min_accuracy is not None and accuracy < args.min_accuracy:
        return 1
    return 0


def _resolve_target(args: argparse.Namespace, resources: contextlib.ExitStack) -> Target:
    url = args.url or _answering(os.environ.get("OBSAI_URL") or DEFAULT_OBSAI_URL)
    if url:
        args.prometheus = args.prometheus or _prometheus_of_local_stack(url)
        if not args.prometheus:
            raise SetupError(
                f"ObsAI answers at {url}: pass --prometheus (or set PROMETHEUS_URL) with the"
                " Prometheus that stack queries, so golds run on the same data"
            )
        return Target(url.rstrip("/"), args.prometheus, _credentials(args))
    return _start_stack(args, resources)


def _prometheus_of_local_stack(url: str) -> str | None:
    """The Prometheus of the stack `make run` keeps up at `url`, from its stack file."""
    try:
        stack = json.loads(STACK_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stack.get("url", "").rstrip("/") != url.rstrip("/"):
        return None
    return str(stack.get("prometheus_url") or "") or None


def _answering(url: str) -> str | None:
    """`url` when something answers its /health (whatever the status), else None."""
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=2.0)
    except httpx.HTTPError:
        return None
    return url


def _credentials(args: argparse.Namespace) -> Credentials:
    if args.api_key:
        return ApiKey(args.api_key)
    if args.username:
        return Login(args.username, args.password)
    if key := os.environ.get("OBSAI_API_KEY"):
        return ApiKey(key)
    if password := os.environ.get("OBSAI_ADMIN_PASSWORD"):
        return Login(os.environ.get("OBSAI_ADMIN_USERNAME") or "admin", password)
    raise SetupError(
        "no credentials: set OBSAI_API_KEY or OBSAI_ADMIN_PASSWORD,"
        " or pass --api-key or --username/--password"
    )


def _start_stack(args: argparse.Namespace, resources: contextlib.ExitStack) -> Target:
    try:
        from obsai_devstack.stack import StackOptions, running_stack
    except ImportError as exc:
        raise SetupError(
            "no ObsAI answers and obsai-devstack is not installed to start one:"
            " pass --url, or install obsai-eval[stack]"
        ) from exc
    password = secrets.token_urlsafe(24)
    work_dir = Path(resources.enter_context(tempfile.TemporaryDirectory(prefix="obsai-eval-")))
    what = "the demo world" if args.prometheus is None else args.prometheus
    print(f"no ObsAI answering; starting a stack for this run on {what}…", file=sys.stderr)
    options = StackOptions(
        work_dir=work_dir,
        prometheus_url=args.prometheus,
        demo_world=args.prometheus is None,
        env={
            "OBSAI_ADMIN_USERNAME": "admin",
            "OBSAI_ADMIN_PASSWORD": password,
            "JWT_SECRET": secrets.token_urlsafe(48),
        },
    )
    try:
        stack = resources.enter_context(running_stack(options))
    except Exception as exc:
        raise SetupError(f"could not start a stack: {type(exc).__name__}: {exc}") from exc
    print(f"stack up at {stack.url}, Prometheus {stack.prometheus_url}", file=sys.stderr)
    # A fresh demo world has a gap between its backfilled history and its first
    # live scrape, and rate windows with an edge in the gap read low: evaluate at
    # the last backfilled sample, where every window lies wholly in the history.
    history = stack.demo.history if stack.demo is not None else None
    default_time = float(history.last) if history is not None else None
    return Target(
        stack.url, stack.prometheus_url, Login("admin", password), default_time, fresh=True
    )


def _evaluation_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise ValueError(f"--time: not unix seconds or RFC 3339: {text!r}") from exc


def _progress(total: int) -> Callable[[int, QuestionResult], None]:
    def report(index: int, result: QuestionResult) -> None:
        verdict = "ok  " if result.match else "MISS"
        latency = f"{result.client_ms:.0f} ms" if result.client_ms else ""
        print(f"[{index + 1}/{total}] {verdict} {result.id} {latency}", file=sys.stderr)

    return report


def _fail(message: str) -> int:
    print(f"obsai_eval: {message}", file=sys.stderr)
    return 2
