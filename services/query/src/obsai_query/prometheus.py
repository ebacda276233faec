"""HTTP client of the user's Prometheus or Mimir."""

from __future__ import annotations

from typing import Any

import httpx

from obsai_common.errors import UpstreamError, UpstreamTimeout


class PrometheusClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, tenant: str = "") -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"X-Scope-OrgID": tenant} if tenant else {}

    async def ping(self) -> None:
        """Evaluate a constant: proves the query path works, on Prometheus and Mimir alike."""
        await self.get("/api/v1/query", {"query": "1"})

    async def get(self, path: str, params: dict[str, str], tenant: str = "") -> Any:
        headers = {**self._headers, **({"X-Scope-OrgID": tenant} if tenant else {})}
        try:
            response = await self._http.get(self._base + path, params=params, headers=headers)
        except httpx.TimeoutException as error:
            raise UpstreamTimeout("Prometheus did not answer in time") from error
        except httpx.HTTPError as error:
            raise UpstreamError("Prometheus is unreachable") from error
        if response.status_code >= 500:
            raise UpstreamError(f"Prometheus answered HTTP {response.status_code}")
        return response.json()
