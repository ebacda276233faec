"""Direct gRPC callers' credentials, resolved by the auth service in one call."""

from __future__ import annotations

import grpc

from obsai.v1 import auth_pb2, auth_pb2_grpc
from obsai_common.errors import from_rpc_error
from obsai_common.identity import InternalTokenSigner
from obsai_common.interceptor import AuthResult, RateLimitStatus


class RemoteAuthenticator:
    """The `Authenticator` of every service but auth: asks AuthService.Authenticate.

    Auth answers with a signed identity token, which is verified here like the
    one Envoy forwards, so both paths end in the same verified identity.
    """

    def __init__(self, channel: grpc.aio.Channel, signer: InternalTokenSigner) -> None:
        self._stub = auth_pb2_grpc.AuthServiceStub(channel)
        self._signer = signer

    async def authenticate(self, method: str, authorization: str, api_key: str) -> AuthResult:
        request = auth_pb2.AuthenticateRequest(
            method=method, authorization=authorization, api_key=api_key
        )
        try:
            response = await self._stub.Authenticate(request, timeout=5.0)
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from error
        identity = self._signer.verify(response.identity_token)
        if not response.HasField("rate_limit"):
            return AuthResult(identity)
        limit = response.rate_limit
        return AuthResult(identity, RateLimitStatus(limit.limit, limit.remaining, limit.reset))
