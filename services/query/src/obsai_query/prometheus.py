"""HTTP client of the user's Prometheus or Mimir.

Transport failures map to UpstreamError (502) and timeouts to UpstreamTimeout
(504) here, in one place; a query Prometheus refuses (4xx, `status: error`)
is a FailedPrecondition carrying Prometheus's own message.
"""

from __future__ import annotations

from typing import Any

import httpx

from obsai_common.errors import FailedPrecondition, UpstreamError, UpstreamTimeout


class PrometheusClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, tenant: str = "") -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"X-Scope-OrgID": tenant} if tenant else {}

    async def ping(self) -> None:
        """Evaluate a constant: proves the query path works, on Prometheus and Mimir alike."""
        await self.get("/api/v1/query", {"query": "1"})

    def _tenant_headers(self, tenant: str) -> dict[str, str]:
        return {**self._headers, **({"X-Scope-OrgID": tenant} if tenant else {})}

    async def get(self, path: str, params: dict[str, str], tenant: str = "") -> Any:
        try:
            response = await self._http.get(
                self._base + path, params=params, headers=self._tenant_headers(tenant)
            )
        except httpx.TimeoutException as error:
            raise UpstreamTimeout("Prometheus did not answer in time") from error
        except httpx.HTTPError as error:
            raise UpstreamError("Prometheus is unreachable") from error
        if response.status_code >= 500:
            raise UpstreamError(f"Prometheus answered HTTP {response.status_code}")
        return response.json()

    async def evaluate(
        self,
        path: str,
        form: dict[str, str],
        *,
        tenant: str,
        timeout: float,  # noqa: ASYNC109 - an httpx per-request timeout
        promql: str,
    ) -> dict[str, Any]:
        """POST a query (form-encoded, so long PromQL never hits URL limits)."""
        details = {"promql": promql}
        try:
            response = await self._http.post(
                self._base + path,
                data=form,
                headers=self._tenant_headers(tenant),
                timeout=timeout,
            )
        except httpx.TimeoutException as error:
            raise UpstreamTimeout(
                f"Prometheus did not answer within {timeout:g}s", details=details
            ) from error
        except httpx.HTTPError as error:
            raise UpstreamError("Prometheus is unreachable", details=details) from error
        body = _json(response)
        error_type = str(body.get("errorType", "")) if body else ""
        message = str(body.get("error", "")) if body else ""
        if response.status_code == 503 and error_type == "timeout":
            raise UpstreamTimeout(f"Prometheus timed out: {message}", details=details)
        if response.status_code >= 500 or body is None:
            raise UpstreamError(
                f"Prometheus answered HTTP {response.status_code}"
                + (f": {message}" if message else ""),
                details=details,
            )
        if response.status_code >= 400 or body.get("status") != "success":
            if error_type == "timeout":
                raise UpstreamTimeout(f"Prometheus timed out: {message}", details=details)
            raise FailedPrecondition(
                f"Prometheus refused the query: {message or response.status_code}",
                details={**details, "prometheus_error": error_type or str(response.status_code)},
            )
        return body


def _json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
