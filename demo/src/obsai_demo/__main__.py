"""Command line: `python -m obsai_demo exporter | backfill | prometheus`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from obsai_demo import exporter
from obsai_demo.backfill import DEFAULT_INSTANCE, backfill
from obsai_demo.prometheus import (
    DEFAULT_SCRAPE_INTERVAL,
    DemoScrape,
    ScrapeTarget,
    prometheus_command,
    write_config,
)


def _add_labelling(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--instance",
        default=DEFAULT_INSTANCE,
        help="the `instance` label of demo series (default: %(default)s)",
    )
    parser.add_argument(
        "--job",
        default=None,
        help="one `job` label for every demo series (default: a job per service, named after it)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m obsai_demo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("exporter", help="serve the estate's metrics at /metrics")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    serve.add_argument(
        "--openmetrics",
        action="store_true",
        help="negotiate OpenMetrics (adds units; counters' metadata loses `_total`)",
    )

    history = commands.add_parser("backfill", help="write past hours as TSDB blocks")
    history.add_argument("--out", type=Path, required=True, help="Prometheus data directory")
    history.add_argument("--hours", type=float, default=24.0)
    history.add_argument("--end", type=float, default=None, help="unix seconds (default: now)")
    history.add_argument("--step", type=int, default=60, help="seconds between samples")
    history.add_argument(
        "--tail-step",
        type=int,
        default=None,
        help="seconds between samples in the last 10 minutes; pass the scrape interval",
    )
    history.add_argument("--promtool", default="promtool")
    _add_labelling(history)

    prom = commands.add_parser("prometheus", help="write prometheus.yml and exec Prometheus")
    prom.add_argument("--data", type=Path, required=True, help="storage.tsdb.path")
    prom.add_argument("--port", type=int, required=True, help="listen on 127.0.0.1:PORT")
    prom.add_argument("--config", type=Path, default=None, help="default: DATA/prometheus.yml")
    prom.add_argument("--demo-target", default=None, help="HOST:PORT of the demo exporter")
    prom.add_argument(
        "--scrape",
        action="append",
        default=[],
        metavar="JOB=HOST:PORT[/path]",
        help="an extra target (repeatable), e.g. obsai-query=127.0.0.1:9464",
    )
    prom.add_argument("--scrape-interval", default=DEFAULT_SCRAPE_INTERVAL)
    prom.add_argument("--binary", default="prometheus")
    _add_labelling(prom)
    return parser


def _backfill(args: argparse.Namespace) -> int:
    end = time.time() if args.end is None else args.end
    result = backfill(
        args.out, args.hours, end, args.step, args.instance, args.job, args.promtool, args.tail_step
    )
    print(
        f"backfilled {result.samples} samples from {result.first} to {result.last} "
        f"(write {result.write_seconds:.1f}s, promtool {result.promtool_seconds:.1f}s)",
        flush=True,
    )
    return 0


def _prometheus(args: argparse.Namespace) -> int:
    demo = None
    if args.demo_target:
        demo = DemoScrape(args.demo_target, args.instance, args.job)
    extra = [ScrapeTarget.parse(text) for text in args.scrape]
    config = args.config or args.data / "prometheus.yml"
    write_config(config, args.port, demo, extra, args.scrape_interval)
    command = prometheus_command(config, args.data, args.port, args.binary)
    # exec: signals sent to this process reach Prometheus itself.
    os.execvp(command[0], command)  # noqa: S606 - argv list, no shell involved


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "exporter":
            exporter.serve(args.host, args.port, args.openmetrics)
            return 0
        if args.command == "backfill":
            return _backfill(args)
        return _prometheus(args)
    except (ValueError, RuntimeError, OSError) as error:
        print(f"obsai_demo {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
