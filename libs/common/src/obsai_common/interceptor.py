"""The one server interceptor every ObsAI service runs.

For each unary RPC it: establishes who is calling (a verified internal token, or
credentials resolved by the auth service), enforces the method's declared
access, binds the identity for the handler, maps domain errors to gRPC status
in one place, and records logs, metrics and a trace span.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import grpc
from opentelemetry import trace
from opentelemetry.propagate import extract

from obsai_common.access import Access, MethodRule, rule_for_method
from obsai_common.errors import ObsaiError, PermissionDenied, Unauthenticated, to_rpc_status
from obsai_common.identity import (
    IDENTITY_METADATA,
    Identity,
    InternalTokenSigner,
    bind_identity,
    unbind_identity,
)
from obsai_common.logs import request_id_var, trace_id_var
from obsai_common.telemetry import observe_rpc

log = logging.getLogger(__name__)

# grpc-stubs makes these generic for type checkers only, hence the string aliases.
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
Behavior: TypeAlias = "Callable[[Any, Context], Awaitable[Any]]"
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    limit: int
    remaining: int
    reset: int

    def headers(self) -> tuple[tuple[str, str], ...]:
        return (
            ("x-ratelimit-limit", str(self.limit)),
            ("x-ratelimit-remaining", str(self.remaining)),
            ("x-ratelimit-reset", str(self.reset)),
        )


@dataclass(frozen=True, slots=True)
class AuthResult:
    identity: Identity
    rate_limit: RateLimitStatus | None = None


class Authenticator(Protocol):
    """Resolves user credentials for a method: authenticates, authorizes, rate-limits."""

    async def authenticate(self, method: str, authorization: str, api_key: str) -> AuthResult: ...


def check_access(rule: MethodRule, identity: Identity) -> None:
    if rule.access is Access.INTERNAL and not identity.service:
        raise PermissionDenied("this method is internal to ObsAI")
    if rule.access is Access.ADMIN and not identity.is_admin:
        raise PermissionDenied("admin role required")
    if rule.access is Access.USER and not (
        identity.service or {"user", "admin"} & set(identity.roles)
    ):
        raise PermissionDenied("user role required")


class ObsaiServerInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    def __init__(
        self,
        service: str,
        signer: InternalTokenSigner,
        authenticator: Authenticator | None,
        tracer: trace.Tracer,
    ) -> None:
        self._service = service
        self._signer = signer
        self._authenticator = authenticator
        self._tracer = tracer
        # A method's handler is fixed once the server starts: wrap it once.
        self._wrapped: dict[str, Handler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler:
        method = handler_call_details.method
        if wrapped := self._wrapped.get(method):
            return wrapped
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        rule = rule_for_method(method)
        if rule is None or handler.unary_unary is None:
            wrapped = handler  # health, reflection, Envoy's Check: as the library defines them
        else:
            wrapped = grpc.unary_unary_rpc_method_handler(
                self._wrap(rule, handler.unary_unary),  # type: ignore[arg-type]
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        self._wrapped[method] = wrapped
        return wrapped

    def _wrap(self, rule: MethodRule, behavior: Behavior) -> Behavior:
        async def wrapped(request: Any, context: Context) -> Any:
            metadata = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
            request_id = metadata.get("x-request-id") or uuid.uuid4().hex
            request_id_var.set(request_id)
            started = time.perf_counter()
            code = "OK"
            with self._tracer.start_as_current_span(
                rule.method, context=extract(metadata), kind=trace.SpanKind.SERVER
            ) as span:
                trace_id_var.set(format(span.get_span_context().trace_id, "032x"))
                try:
                    identity = await self._identify(rule, metadata, context)
                    token = bind_identity(identity)
                    try:
                        return await behavior(request, context)
                    finally:
                        unbind_identity(token)
                except ObsaiError as error:
                    code = error.code
                    await _abort(context, error)
                except grpc.aio.AbortError:
                    code = "ABORTED_BY_HANDLER"
                    raise
                except Exception:
                    code = "INTERNAL"
                    log.exception("unhandled error in %s", rule.method)
                    # Never a stack trace or exception text to the caller.
                    await _abort(context, ObsaiError("internal error"))
                finally:
                    seconds = time.perf_counter() - started
                    observe_rpc(self._service, rule.method, code, seconds)
                    log.debug(
                        "rpc", extra={"method": rule.method, "code": code, "ms": seconds * 1e3}
                    )
            raise AssertionError("unreachable: abort raises")

        return wrapped

    async def _identify(
        self, rule: MethodRule, metadata: dict[str, str], context: Context
    ) -> Identity | None:
        if rule.access is Access.PUBLIC:
            return None  # public methods never act on credentials
        identity = await self._resolve(rule, metadata, context)
        if identity is None:
            raise Unauthenticated("authentication required: send a Bearer token or an API key")
        check_access(rule, identity)
        return identity

    async def _resolve(
        self, rule: MethodRule, metadata: dict[str, str], context: Context
    ) -> Identity | None:
        if token := metadata.get(IDENTITY_METADATA):
            return self._signer.verify(token)
        authorization = metadata.get("authorization", "")
        api_key = metadata.get("x-api-key", "")
        if not (authorization or api_key):
            return None
        if self._authenticator is None:
            raise Unauthenticated("this service accepts only internal identity tokens")
        result = await self._authenticator.authenticate(rule.method, authorization, api_key)
        if result.rate_limit is not None:
            await context.send_initial_metadata(result.rate_limit.headers())
        return result.identity


async def _abort(context: Context, error: ObsaiError) -> None:
    status = to_rpc_status(error)
    await context.abort(
        error.grpc_code,
        error.message,
        trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),),
    )
