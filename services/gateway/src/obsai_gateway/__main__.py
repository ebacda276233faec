"""`python -m obsai_gateway render [--out FILE]` writes the Envoy config;
`python -m obsai_gateway run` renders it and runs Envoy as a child, staying its
long-lived parent (Envoy exits with its parent) and forwarding SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from obsai_gateway.config import build_config
from obsai_gateway.envoy_binary import envoy_binary
from obsai_gateway.settings import GatewaySettings


def render(settings: GatewaySettings) -> str:
    return yaml.safe_dump(build_config(settings), sort_keys=False)


def run(settings: GatewaySettings) -> int:
    with tempfile.TemporaryDirectory(prefix="obsai-envoy-") as tmp:
        config = Path(tmp) / "envoy.yaml"
        config.write_text(render(settings))
        envoy = subprocess.Popen(
            [str(envoy_binary()), "-c", str(config), "--log-level", "warn", "--concurrency", "2"]
        )

        def forward(signum: int, _frame: object) -> None:
            envoy.send_signal(signum)

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, forward)
        return envoy.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="obsai_gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    render_cmd = sub.add_parser("render", help="print or write the Envoy configuration")
    render_cmd.add_argument("--out", type=Path)
    sub.add_parser("run", help="render the configuration and run Envoy")
    args = parser.parse_args()
    settings = GatewaySettings()
    if args.command == "render":
        text = render(settings)
        if args.out:
            args.out.write_text(text)
        else:
            sys.stdout.write(text)
        return
    sys.exit(run(settings))


if __name__ == "__main__":
    main()
