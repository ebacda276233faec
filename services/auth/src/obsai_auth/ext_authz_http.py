"""ext_authz's HTTP form: the transport between Envoy and `GatewayCheck`.

Envoy sends the request's method and path, the headers Check reads and the body
(``with_request_body``) as an HTTP/1.1 request on keep-alive connections. The
answer's status decides: 200 lets the request go on with the headers the gateway
lets upstream (``x-obsai-identity``) and without those named in
``x-envoy-auth-headers-to-remove``; any other status, with its body and the
headers the gateway lets through, is the client's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import cast

import httptools

from obsai_auth.ext_authz import CheckOutcome, GatewayCheck, denied
from obsai_common.errors import InvalidArgument

# Envoy removes the request headers listed here before the request goes on.
REMOVE_HEADER = "x-envoy-auth-headers-to-remove"
# Envoy forwards only the headers Check reads; anything near this is not Envoy.
MAX_HEAD_BYTES = 64 * 1024


def _response(outcome: CheckOutcome, keep_alive: bool) -> bytes:
    status, body = outcome.status, outcome.body
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in outcome.upstream_headers]
    if outcome.remove_headers:
        lines.append(f"{REMOVE_HEADER}: {', '.join(outcome.remove_headers)}")
    lines += [f"{name}: {value}" for name, value in outcome.response_headers]
    if not keep_alive:
        lines.append("connection: close")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body


@dataclass(slots=True)
class _Request:
    url: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    head_bytes: int = 0


class _CheckConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection from Envoy; answers in request order."""

    def __init__(self, check: GatewayCheck, max_body_bytes: int) -> None:
        self._check = check
        self._max_body = max_body_bytes
        self._parser = httptools.HttpRequestParser(self)
        self._request = _Request()
        self._transport: asyncio.Transport | None = None
        self._last: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            # A callback's exception comes back wrapped, as the error's context.
            reason = error.__context__ if isinstance(error.__context__, _TooLarge) else None
            message = str(reason) if reason else "malformed HTTP request"
            self._reply_and_close(denied(InvalidArgument(message)))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._request = _Request()

    def on_url(self, url: bytes) -> None:
        self._request.url += url
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value))
        self._request.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._request.body += body
        if len(self._request.body) > self._max_body:
            # Envoy sends at most its own max_request_bytes; this guards the port.
            raise _TooLarge("request body too large")

    def _count_head(self, size: int) -> None:
        self._request.head_bytes += size
        if self._request.head_bytes > MAX_HEAD_BYTES:
            raise _TooLarge("request line and headers too large")

    def on_message_complete(self) -> None:
        request, method = self._request, self._parser.get_method().decode("latin-1")
        keep_alive = self._parser.should_keep_alive()
        path = request.url.decode("latin-1")
        answer = self._check.check(method, path, request.headers, bytes(request.body))
        self._last = asyncio.ensure_future(self._answer(self._last, answer, keep_alive))

    async def _answer(
        self,
        previous: asyncio.Task[None] | None,
        answer: Awaitable[CheckOutcome],
        keep_alive: bool,
    ) -> None:
        outcome = await answer
        if previous is not None:
            await previous  # HTTP/1.1 answers go back in request order
        if self._transport is None:
            return
        self._transport.write(_response(outcome, keep_alive))
        if not keep_alive:
            self._transport.close()

    def _reply_and_close(self, outcome: CheckOutcome) -> None:
        if self._transport is not None:
            self._transport.write(_response(outcome, keep_alive=False))
            self._transport.close()


class _TooLarge(Exception):
    """A request past the connection's bounds; its message is the client's answer."""


@contextlib.asynccontextmanager
async def check_http_server(
    check: GatewayCheck,
    host: str,
    port: int,
    *,
    max_body_bytes: int = 1 << 20,
) -> AsyncIterator[int]:
    """Serve `check` over HTTP/1.1 on host:port (0 picks a port); yields the port."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _CheckConnection(check, max_body_bytes), host, port)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
