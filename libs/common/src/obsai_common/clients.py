"""Channels from one ObsAI service to another, carrying the caller's identity.

Calls are made as the service itself (a locally signed service token), or on
behalf of the user being served, by forwarding their verified identity.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from obsai_common.identity import (
    IDENTITY_METADATA,
    Identity,
    InternalTokenSigner,
    optional_identity,
)


class ServiceTokenCache:
    """A service token re-signed shortly before it expires."""

    def __init__(self, signer: InternalTokenSigner, service: str, ttl_seconds: int) -> None:
        self._signer = signer
        self._identity = Identity.for_service(service)
        self._refresh_after = max(ttl_seconds // 2, 1)
        self._token = ""
        self._signed_at = 0.0

    def token(self) -> str:
        now = time.monotonic()
        if not self._token or now - self._signed_at > self._refresh_after:
            self._token = self._signer.sign(self._identity)
            self._signed_at = now
        return self._token


class IdentityClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    """Adds x-obsai-identity: the service's own token (on-behalf-of is explicit)."""

    def __init__(self, tokens: ServiceTokenCache) -> None:
        self._tokens = tokens

    async def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.aio.ClientCallDetails, Any], Any],
        client_call_details: grpc.aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        metadata = grpc.aio.Metadata(*(client_call_details.metadata or ()))
        if IDENTITY_METADATA not in metadata:
            metadata.add(IDENTITY_METADATA, self._tokens.token())
        details = grpc.aio.ClientCallDetails(
            client_call_details.method,
            client_call_details.timeout,
            metadata,
            client_call_details.credentials,
            client_call_details.wait_for_ready,
        )
        return await continuation(details, request)


def internal_channel(address: str, tokens: ServiceTokenCache) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        interceptors=[IdentityClientInterceptor(tokens)],  # type: ignore[list-item]
        options=[("grpc.lb_policy_name", "round_robin"), ("grpc.enable_retries", 1)],
    )


def on_behalf_of_caller(signer: InternalTokenSigner) -> tuple[tuple[str, str], ...]:
    """Metadata that forwards the current caller's identity to another service."""
    identity = optional_identity()
    return ((IDENTITY_METADATA, signer.sign(identity)),) if identity else ()
