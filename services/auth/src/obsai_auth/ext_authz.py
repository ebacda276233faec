"""The gateway's one auth hop: Envoy's ext_authz Check, decided once for two transports.

Envoy asks with a request's method, path, the headers Check reads and its body;
`GatewayCheck` answers with a `CheckOutcome`. Two transports carry it:
`obsai_auth.ext_authz_http` (ext_authz's HTTP form, what the gateway uses: the
same decision at well under half the CPU of a grpc.aio call, docs/PERFORMANCE.md)
and `obsai_auth.ext_authz_grpc` (``envoy.service.auth.v3.Authorization/Check``,
for an Envoy or mesh configured with ``grpc_service``).

Check resolves the request's RPC from the protos' ``google.api.http`` bindings
(or, for gRPC sent through the gateway, from the ``/package.Service/Method``
path):

- a path no RPC declares → 404 in the uniform shape, so nothing reaches an
  upstream untranscoded (CORS preflights from allowed origins never get here:
  the cors filter answers them first);
- a body that is not a valid JSON request of the RPC (unknown fields included,
  which the transcoder would silently drop) → 400;
- a public RPC → allowed, and ``x-obsai-identity`` is removed so a client can never
  inject one;
- otherwise the shared `Authorizer` decides; on success the request goes on with
  ``x-obsai-identity: <signed internal token>`` (overwriting anything the client
  sent), the client's credentials removed, and ``X-RateLimit-*`` response headers;
- a denial is the client's answer, with the uniform body
  ``{"error":{"code":…,"message":…}}`` (401/403/429/503), never exception text.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from obsai_auth.authorizer import Authorizer, RateLimitExceeded
from obsai_common.access import Access, MethodRule, rule_for_http, rule_for_method
from obsai_common.errors import InvalidArgument, NotFound, ObsaiError, Unauthenticated
from obsai_common.identity import IDENTITY_METADATA, InternalTokenSigner
from obsai_common.json_body import check_json_body
from obsai_common.telemetry import observe_rpc

log = logging.getLogger(__name__)

CHECK_METHOD = "/envoy.service.auth.v3.Authorization/Check"
_CREDENTIAL_HEADERS = ("authorization", "x-api-key")
_JSON = ("content-type", "application/json")

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """Let the request go on (``error`` None), changed as below, or answer it with the error."""

    error: ObsaiError | None = None
    # Set on the request that goes on, overwriting what the client sent.
    upstream_headers: Headers = ()
    # Removed from the request that goes on.
    remove_headers: tuple[str, ...] = ()
    # On the answer to the client, either way.
    response_headers: Headers = ()

    @property
    def allowed(self) -> bool:
        return self.error is None

    @property
    def code(self) -> str:
        return "OK" if self.error is None else self.error.code

    @property
    def status(self) -> int:
        return 200 if self.error is None else self.error.http_status

    @property
    def body(self) -> bytes:
        if self.error is None:
            return b""
        return error_body(self.error.code, self.error.message).encode()


_ANONYMOUS = CheckOutcome(remove_headers=(IDENTITY_METADATA,))


def error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}}, separators=(",", ":"))


def denied(error: ObsaiError, extra: Headers = ()) -> CheckOutcome:
    """The client's answer: the error in the uniform shape."""
    headers: Headers = (_JSON, *extra)
    if isinstance(error, Unauthenticated):
        headers += (("www-authenticate", 'Bearer realm="obsai"'),)
    return CheckOutcome(error, response_headers=headers)


def _rule(method: str, path: str) -> MethodRule | None:
    """The RPC a request reaches: a REST route, or gRPC sent through the gateway."""
    rule = rule_for_http(method, path)
    if rule is None and method == "POST":
        rule = rule_for_method(path)
    return rule


class GatewayCheck:
    """Envoy's question — may this request go on, and as whom? — answered."""

    def __init__(self, authorizer: Authorizer, signer: InternalTokenSigner) -> None:
        self._authorizer = authorizer
        self._signer = signer

    async def check(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> CheckOutcome:
        started = time.perf_counter()
        outcome = await self._check(method.upper(), path, headers, body)
        observe_rpc("auth", CHECK_METHOD, outcome.code, time.perf_counter() - started)
        return outcome

    async def _check(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> CheckOutcome:
        rule = _rule(method, path)
        if rule is None:
            return denied(NotFound("no route matches this request"))
        try:
            check_json_body(rule.method, body)
        except InvalidArgument as error:
            return denied(error)
        if rule.access is Access.PUBLIC:
            return _ANONYMOUS
        try:
            decision = await self._authorizer.decide(
                rule, headers.get("authorization", ""), headers.get("x-api-key", "")
            )
        except RateLimitExceeded as error:
            retry = ("retry-after", str(error.retry_after))
            return denied(error, (retry, *error.status.headers()))
        except ObsaiError as error:
            return denied(error)
        except Exception:
            log.exception("check failed", extra={"request_id": headers.get("x-request-id", "")})
            return denied(ObsaiError("internal error"))
        return CheckOutcome(
            upstream_headers=((IDENTITY_METADATA, self._signer.sign(decision.identity)),),
            # Credentials stop here: upstreams trust only the signed identity.
            remove_headers=_CREDENTIAL_HEADERS,
            response_headers=decision.rate_limit.headers() if decision.rate_limit else (),
        )
