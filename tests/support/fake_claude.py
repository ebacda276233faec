"""A loopback server speaking enough of the Anthropic Messages API for tests.

`POST /v1/messages` answers with a real `message` object whose content is one
`tool_use` block (the engine's forced tool), with `usage` including prompt-cache
counts; `GET /v1/models` lists one model. Each test scripts it with a queue of
replies — tool answers, HTTP errors (429, 529, 500 …), delays — and reads back
every request it received, to assert prompts, tools and cache_control.

    with FakeClaude() as claude:
        claude.answer("sum(rate(http_requests_total[5m]))", unit="per_second")
        claude.error(529)
        settings = QuerySettings(anthropic_api_key="test", anthropic_base_url=claude.url)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_ids = itertools.count(1)
DEFAULT_MODEL = "claude-sonnet-4-6"


@dataclass
class Reply:
    """One scripted reply: a tool answer (`tool_input`) or an error (`status`)."""

    tool_input: dict[str, Any] | None = None
    status: int = 200
    message: str = ""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    tool_name: str = "answer_with_promql"


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def user_text(self) -> str:
        """The text of the request's user messages."""
        parts = []
        for message in self.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            else:
                parts.extend(b.get("text", "") for b in content if isinstance(b, dict))
        return "\n".join(parts)


Responder = Callable[[dict[str, Any]], Reply]


class FakeClaude:
    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._cached_prefixes: set[str] = set()
        # Used when the queue is empty; None answers 500 ("nothing scripted").
        self.responder: Responder | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeClaude:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeClaude:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting

    def answer(
        self,
        promql: str,
        explanation: str = "Scripted answer.",
        confidence: float = 0.9,
        *,
        assumptions: tuple[str, ...] = (),
        unit: str = "",
        instant: bool = False,
        additional: tuple[dict[str, str], ...] = (),
        delay: float = 0.0,
    ) -> None:
        tool_input: dict[str, Any] = {
            "promql": promql,
            "explanation": explanation,
            "confidence": confidence,
            "assumptions": list(assumptions),
            "unit": unit,
            "instant": instant,
        }
        if additional:
            tool_input["additional_queries"] = list(additional)
        self.enqueue(Reply(tool_input=tool_input, delay=delay))

    def error(
        self,
        status: int,
        message: str = "",
        *,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        self.enqueue(
            Reply(
                status=status, message=message or f"scripted {status}", delay=delay, headers=headers
            )
        )

    def enqueue(self, reply: Reply) -> None:
        with self._lock:
            self._queue.append(reply)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/v1/messages")]

    # --- protocol

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Reply(status=500, message="the fake Claude server has nothing scripted")

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        system = json.dumps(body.get("system", "")) + json.dumps(body.get("tools", []))
        cached = "cache_control" in system
        prefix_tokens = max(len(system) // 4, 1)
        user_tokens = max(len(json.dumps(body.get("messages", []))) // 4, 1)
        creation = read = 0
        if cached:
            with self._lock:
                if system in self._cached_prefixes:
                    read = prefix_tokens
                else:
                    self._cached_prefixes.add(system)
                    creation = prefix_tokens
        return {
            "input_tokens": user_tokens + (0 if cached else prefix_tokens),
            "output_tokens": 60,
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read,
        }

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        return tool_use_message(
            next(_ids),
            body.get("model", self.model),
            reply.tool_name,
            reply.tool_input or {},
            self._usage(body),
        )

    def _models(self) -> dict[str, Any]:
        return {
            "data": [
                {
                    "type": "model",
                    "id": self.model,
                    "display_name": "Fake Claude",
                    "created_at": "2025-01-01T00:00:00Z",
                }
            ],
            "has_more": False,
            "first_id": self.model,
            "last_id": self.model,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, delayed ACKs
            # add ~40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", f"req_fake{next(_ids):08d}")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                fake.requests.append(RecordedRequest(self.path, dict(self.headers), {}))
                if self.path.split("?")[0] == "/v1/models":
                    self._send(200, fake._models(), {})
                else:
                    self._send(404, _error_body(404, "not found"), {})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                fake.requests.append(RecordedRequest(self.path, dict(self.headers), body))
                if self.path.split("?")[0] != "/v1/messages":
                    self._send(404, _error_body(404, "not found"), {})
                    return
                reply = fake._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._send(
                        reply.status, _error_body(reply.status, reply.message), reply.headers
                    )
                    return
                self._send(200, fake._message(body, reply), reply.headers)

        return Handler


def tool_use_message(
    number: int, model: str, tool_name: str, tool_input: dict[str, Any], usage: dict[str, int]
) -> dict[str, Any]:
    """A Messages API `message` whose one content block is a call of `tool_name`."""
    return {
        "id": f"msg_fake{number:08d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [
            {
                "type": "tool_use",
                "id": f"toolu_fake{number:08d}",
                "name": tool_name,
                "input": tool_input,
            }
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": usage,
    }


def _error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": _ERROR_TYPES.get(status, "api_error"), "message": message},
    }
