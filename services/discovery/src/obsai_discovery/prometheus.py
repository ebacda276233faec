"""The few Prometheus HTTP API calls a scan makes, for Prometheus and Mimir alike.

Mimir serves the same API under a path prefix (``/prometheus``) and needs the
tenant in ``X-Scope-OrgID``; both, basic or bearer auth and TLS options come
from a `SourceConfig`. Every request is counted (`requests`), transient
failures are retried twice, and failures become `UpstreamError` /
`UpstreamTimeout` with Prometheus' own error text, never a credential.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from obsai_common.errors import UpstreamError, UpstreamTimeout
from obsai_discovery.settings import SourceConfig

_RETRY_STATUS = frozenset({429, 502, 503, 504})
_RETRY_DELAYS = (0.25, 1.0)


def _verify(config: SourceConfig) -> ssl.SSLContext | bool:
    """The TLS context: trust `ca_file` (or the system's CAs), present the client
    certificate if one is set. `tls_verify=false` skips checking the server's
    certificate, but a client certificate is still presented (mutual TLS to a
    server with a self-signed certificate)."""
    if not config.tls_verify and not config.client_cert_file:
        return False
    context = ssl.create_default_context(cafile=config.ca_file or None)
    if not config.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.client_cert_file:
        context.load_cert_chain(config.client_cert_file, config.client_key_file or None)
    return context


def _unreachable(error: Exception) -> str:
    """Why no answer came: the error's type and, for a TLS failure, its reason
    (CERTIFICATE_VERIFY_FAILED, TLSV13_ALERT_CERTIFICATE_REQUIRED, …); never a
    URL or a credential."""
    what = type(error).__name__
    cause: BaseException | None = error
    for _ in range(8):  # a bounded walk down the chain of causes
        if cause is None or isinstance(cause, ssl.SSLError):
            break
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ssl.SSLError) and cause.reason:
        what += f", TLS {cause.reason}"
    return f"Prometheus is unreachable ({what})"


def _auth(config: SourceConfig) -> httpx.Auth | None:
    if config.basic_auth_user:
        return httpx.BasicAuth(
            config.basic_auth_user, config.basic_auth_password.get_secret_value()
        )
    return None


def _headers(config: SourceConfig) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "obsai-discovery"}
    if config.tenant:
        headers["X-Scope-OrgID"] = config.tenant
    if token := config.bearer_token.get_secret_value():
        headers["Authorization"] = f"Bearer {token}"
    return headers


def series_selector(name: str) -> str:
    """`{__name__="name"}` with the name escaped as a PromQL string."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{{__name__="{escaped}"}}'


class PrometheusAPI:
    def __init__(
        self, config: SourceConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.requests = 0
        base = config.url.rstrip("/") + "/" + config.path_prefix.strip("/")
        self._client = httpx.AsyncClient(
            base_url=base.rstrip("/"),
            headers=_headers(config),
            auth=_auth(config),
            verify=_verify(config),
            timeout=httpx.Timeout(config.timeout_seconds, connect=min(config.timeout_seconds, 5)),
            transport=transport,
            follow_redirects=False,
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def metadata(self) -> dict[str, list[dict[str, str]]]:
        """Family name → metadata entries (one per target that disagreed)."""
        data = await self._call("GET", "/api/v1/metadata", params={})
        if not isinstance(data, dict):
            raise UpstreamError("Prometheus answered /api/v1/metadata with no object")
        return data

    async def label_values(self, label: str, start: float, end: float) -> list[str]:
        data = await self._call(
            "GET",
            f"/api/v1/label/{label}/values",
            params={"start": _time(start), "end": _time(end)},
        )
        return [str(v) for v in data or []]

    async def labels(self, start: float, end: float, match: Sequence[str] = ()) -> list[str]:
        params: dict[str, Any] = {"start": _time(start), "end": _time(end)}
        if match:
            params["match[]"] = list(match)
        data = await self._call("GET", "/api/v1/labels", params=params)
        return [str(v) for v in data or []]

    async def label_values_matching(
        self, label: str, start: float, end: float, match: Sequence[str]
    ) -> list[str]:
        data = await self._call(
            "GET",
            f"/api/v1/label/{label}/values",
            params={"start": _time(start), "end": _time(end), "match[]": list(match)},
        )
        return [str(v) for v in data or []]

    async def series(self, names: Sequence[str], start: float, end: float) -> list[dict[str, str]]:
        """Every series of these metric names with samples in [start, end], one request."""
        form = {
            "match[]": [series_selector(n) for n in names],
            "start": _time(start),
            "end": _time(end),
        }
        data = await self._call("POST", "/api/v1/series", data=form)
        return list(data or [])

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Any:
        for attempt in range(len(_RETRY_DELAYS) + 1):
            last = attempt == len(_RETRY_DELAYS)
            self.requests += 1
            try:
                response = await self._client.request(method, path, params=params, data=data)
            except httpx.TimeoutException as error:
                if last:
                    raise UpstreamTimeout(f"Prometheus did not answer {path} in time") from error
            # A TLS alert after the handshake (a refused client certificate)
            # reaches us as a bare ssl.SSLError, not as an httpx error.
            except (httpx.HTTPError, ssl.SSLError) as error:
                if last:
                    raise UpstreamError(_unreachable(error)) from error
            else:
                if response.status_code not in _RETRY_STATUS or last:
                    return _payload(response, path)
            await asyncio.sleep(_RETRY_DELAYS[attempt])
        raise AssertionError("unreachable")


def _time(seconds: float) -> str:
    return f"{seconds:.3f}"


def _payload(response: httpx.Response, path: str) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict) or body.get("status") != "success":
        detail = body.get("error", "") if isinstance(body, dict) else ""
        message = f"Prometheus answered {path} with HTTP {response.status_code}"
        raise UpstreamError(f"{message}: {detail}" if detail else message)
    return body.get("data")
