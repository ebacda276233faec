"""Envoy's ``envoy.service.auth.v3.Authorization/Check``: the gateway's one auth hop.

Check sees the REST request before transcoding and resolves its RPC from the
protos' ``google.api.http`` bindings (or, for gRPC sent through the gateway,
from the ``/package.Service/Method`` path):

- a path no RPC declares → 404 in the uniform shape, so nothing reaches an
  upstream untranscoded (CORS preflights from allowed origins never get here:
  the cors filter answers them first);
- a body that is not a valid JSON request of the RPC (unknown fields included,
  which the transcoder would silently drop) → 400;
- a public RPC → OK, and ``x-obsai-identity`` is removed so a client can never
  inject one;
- otherwise the shared `Authorizer` decides; on success the request goes on with
  ``x-obsai-identity: <signed internal token>`` (overwriting anything the client
  sent), the client's credentials stripped, and ``X-RateLimit-*`` response headers;
- a denial is a `CheckResponse` status plus an HTTP answer with the uniform body
  ``{"error":{"code":…,"message":…}}`` (401/403/429/503), never an RPC error and
  never exception text.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import status_pb2

from obsai_auth.authorizer import Authorizer, Decision, RateLimitExceeded
from obsai_common.access import Access, MethodRule, rule_for_http, rule_for_method
from obsai_common.errors import InvalidArgument, NotFound, ObsaiError, Unauthenticated
from obsai_common.identity import IDENTITY_METADATA, InternalTokenSigner
from obsai_common.interceptor import RateLimitStatus
from obsai_common.json_body import check_json_body
from obsai_common.telemetry import observe_rpc

log = logging.getLogger(__name__)

CHECK_METHOD = "/envoy.service.auth.v3.Authorization/Check"
_OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD
_CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def _header(name: str, value: str) -> Any:
    return base_pb2.HeaderValueOption(
        header=base_pb2.HeaderValue(key=name, value=value), append_action=_OVERWRITE
    )


def _rate_headers(status: RateLimitStatus | None) -> list[Any]:
    return [_header(k, v) for k, v in status.headers()] if status else []


def error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":"))


def _ok_anonymous() -> Any:
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=0),
        ok_response=external_auth_pb2.OkHttpResponse(headers_to_remove=[IDENTITY_METADATA]),
    )


def _ok(decision: Decision, token: str) -> Any:
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=0),
        ok_response=external_auth_pb2.OkHttpResponse(
            headers=[_header(IDENTITY_METADATA, token)],
            # Credentials stop here: upstreams trust only the signed identity.
            headers_to_remove=list(_CREDENTIAL_HEADERS),
            response_headers_to_add=_rate_headers(decision.rate_limit),
        ),
    )


def _denied(error: ObsaiError, extra: Iterable[Any] = ()) -> Any:
    headers = [_header("content-type", "application/json"), *extra]
    if isinstance(error, Unauthenticated):
        headers.append(_header("www-authenticate", 'Bearer realm="obsai"'))
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=error.grpc_code.value[0], message=error.message),
        denied_response=external_auth_pb2.DeniedHttpResponse(
            status=http_status_pb2.HttpStatus(code=error.http_status),
            headers=headers,
            body=error_body(error.code, error.message),
        ),
    )


def _rule(method: str, path: str) -> MethodRule | None:
    """The RPC a request reaches: a REST route, or gRPC sent through the gateway."""
    rule = rule_for_http(method, path)
    if rule is None and method == "POST":
        rule = rule_for_method(path)
    return rule


class AuthorizationServicer(external_auth_pb2_grpc.AuthorizationServicer):  # type: ignore[misc]
    def __init__(self, authorizer: Authorizer, signer: InternalTokenSigner) -> None:
        self._authorizer = authorizer
        self._signer = signer

    async def Check(self, request: Any, context: Any) -> Any:
        started = time.perf_counter()
        response, code = await self._check(request)
        observe_rpc("auth", CHECK_METHOD, code, time.perf_counter() - started)
        return response

    async def _check(self, request: Any) -> tuple[Any, str]:
        http = request.attributes.request.http
        method = http.method.upper()
        rule = _rule(method, http.path)
        if rule is None:
            return _denied(NotFound("no route matches this request")), "NOT_FOUND"
        try:
            check_json_body(rule.method, http.raw_body or http.body.encode())
        except InvalidArgument as error:
            return _denied(error), error.code
        if rule.access is Access.PUBLIC:
            return _ok_anonymous(), "OK"
        headers = http.headers
        try:
            decision = await self._authorizer.decide(
                rule, headers.get("authorization", ""), headers.get("x-api-key", "")
            )
            return _ok(decision, self._signer.sign(decision.identity)), "OK"
        except RateLimitExceeded as error:
            retry = _header("retry-after", str(error.retry_after))
            return _denied(error, [retry, *_rate_headers(error.status)]), error.code
        except ObsaiError as error:
            return _denied(error), error.code
        except Exception:
            log.exception("check failed", extra={"request_id": headers.get("x-request-id", "")})
            return _denied(ObsaiError("internal error")), "INTERNAL"
