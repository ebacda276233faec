"""The benchmarks' fake Claude in a process of its own.

The tests' fake (tests/support/fake_claude.py) answers from a thread of whatever
process starts it, and does a test's bookkeeping per request. Started inside the
benchmark's process, that work held the services' GIL and was timed as the
pipeline's generation, though it stands for the model's time, which is spent on
another machine. Here a fake that does nothing but answer runs in a child
process: what the pipeline pays is its own side of the call (the SDK, HTTP over a
kept-alive loopback connection), as in production.

    with fake_claude_process(answer) as url:
        settings = QuerySettings(anthropic_api_key="bench", anthropic_base_url=url)

The child answers every `POST /v1/messages` with `answer` as the tool's input,
at once — the message written once, at start, and the request's body read but not
parsed (tests/support/fake_claude.py's server parses it, records it and counts
its tokens: ~0.5 ms of CPU per 18 kB prompt, time that stands for the model's) —
over kept-alive HTTP/1.1, and stops when its parent closes its stdin (or exits).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support.fake_claude import DEFAULT_MODEL, Reply, tool_use_message

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def fake_claude_process(answer: dict[str, Any]) -> Iterator[str]:
    """Starts the fake answering `answer` in a child process; yields its base URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.query.fake_claude_process", json.dumps(answer)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the fake Claude process did not start: {url!r}")
        yield url
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _message(answer: dict[str, Any]) -> bytes:
    """What tests/support/fake_claude.py answers (a `message` whose one content block
    is the forced tool's call), with a fixed id and usage."""
    usage = {
        "input_tokens": 1000,
        "output_tokens": 60,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    message = tool_use_message(0, DEFAULT_MODEL, Reply().tool_name, answer, usage)
    return json.dumps(message).encode()


def _serve(answer: dict[str, Any]) -> None:
    body = _message(answer)
    missing = b'{"type": "error", "error": {"type": "not_found_error", "message": "not found"}}'

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections are kept, as the SDK's pool expects
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            found = self.path.split("?")[0] == "/v1/messages"
            data = body if found else missing
            self.send_response(200 if found else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    print(f"http://{host!s}:{port}", flush=True)
    sys.stdin.read()  # until the parent closes it
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
