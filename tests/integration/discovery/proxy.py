"""A Mimir-style front for a real Prometheus: path prefix, tenant header, auth.

A real reverse proxy (threads, stdlib HTTP server, forwarding with urllib): it
serves the Prometheus API under `prefix`, refuses requests without
`X-Scope-OrgID` (as Mimir does), and records every request it forwarded so a
test can see what discovery sent.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class MimirProxy:
    upstream: str
    prefix: str = "/prometheus"
    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> MimirProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def _forward(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                proxy.seen.append(Seen(self.command, self.path, headers))
                if not self.path.startswith(proxy.prefix + "/"):
                    self._answer(404, b"not found\n", "text/plain")
                    return
                if not headers.get("x-scope-orgid"):
                    self._answer(401, b"no org id\n", "text/plain")
                    return
                length = int(headers.get("content-length", "0") or 0)
                body = self.rfile.read(length) if length else None
                request = urllib.request.Request(
                    proxy.upstream + self.path[len(proxy.prefix) :],
                    data=body,
                    method=self.command,
                    headers={
                        k: v
                        for k, v in headers.items()
                        if k in ("content-type", "accept", "accept-encoding")
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        self._answer(
                            response.status,
                            response.read(),
                            response.headers.get("content-type", ""),
                            response.headers.get("content-encoding", ""),
                        )
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.read(), error.headers.get("content-type", ""))

            def _answer(
                self, status: int, body: bytes, content_type: str, encoding: str = ""
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _forward
            do_POST = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
