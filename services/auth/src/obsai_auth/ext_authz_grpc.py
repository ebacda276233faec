"""ext_authz's gRPC form, ``envoy.service.auth.v3.Authorization/Check``.

The gateway asks over HTTP (`obsai_auth.ext_authz_http`); this serves the same
`GatewayCheck` to an Envoy or service mesh configured with ``grpc_service``.
"""

from __future__ import annotations

from typing import Any

from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import status_pb2

from obsai_auth.ext_authz import CheckOutcome, GatewayCheck, Headers

_OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD


def _options(headers: Headers) -> list[Any]:
    return [
        base_pb2.HeaderValueOption(
            header=base_pb2.HeaderValue(key=name, value=value), append_action=_OVERWRITE
        )
        for name, value in headers
    ]


def check_response(outcome: CheckOutcome) -> Any:
    if outcome.error is None:
        return external_auth_pb2.CheckResponse(
            status=status_pb2.Status(code=0),
            ok_response=external_auth_pb2.OkHttpResponse(
                headers=_options(outcome.upstream_headers),
                headers_to_remove=list(outcome.remove_headers),
                response_headers_to_add=_options(outcome.response_headers),
            ),
        )
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(
            code=outcome.error.grpc_code.value[0], message=outcome.error.message
        ),
        denied_response=external_auth_pb2.DeniedHttpResponse(
            status=http_status_pb2.HttpStatus(code=outcome.status),
            headers=_options(outcome.response_headers),
            body=outcome.body.decode(),
        ),
    )


class AuthorizationServicer(external_auth_pb2_grpc.AuthorizationServicer):  # type: ignore[misc]
    def __init__(self, check: GatewayCheck) -> None:
        self._check = check

    async def Check(self, request: Any, context: Any) -> Any:
        http = request.attributes.request.http
        body = http.raw_body or http.body.encode()
        outcome = await self._check.check(http.method, http.path, http.headers, body)
        return check_response(outcome)
