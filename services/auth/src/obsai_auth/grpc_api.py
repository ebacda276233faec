"""AuthService over gRPC: parse the request, call the domain, build the reply.

Who may call what is declared in auth.proto and enforced by the common
interceptor before a method runs; errors are `obsai_common.errors` raised by the
domain and mapped to status codes by that interceptor.
"""

from __future__ import annotations

from typing import Any

from obsai.v1 import auth_pb2, auth_pb2_grpc, common_pb2
from obsai_auth.api_keys import ApiKey, ApiKeys, KeyListing, KeyRequest
from obsai_auth.authorizer import Authorizer, rule_for
from obsai_auth.tokens import Sessions, TokenPair
from obsai_auth.usage import Usage
from obsai_auth.users import Accounts, User
from obsai_common.errors import NotFound, PermissionDenied
from obsai_common.identity import Identity, InternalTokenSigner, current_identity
from obsai_common.timestamps import optional_timestamp

Context = Any  # grpc.aio.ServicerContext


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(
        self,
        *,
        accounts: Accounts,
        sessions: Sessions,
        keys: ApiKeys,
        usage: Usage,
        authorizer: Authorizer,
        signer: InternalTokenSigner,
    ) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._keys = keys
        self._usage = usage
        self._authorizer = authorizer
        self._signer = signer

    async def Register(self, request: auth_pb2.RegisterRequest, context: Context) -> auth_pb2.User:
        user = await self._accounts.register(request.username, request.email, request.password)
        return _user(user)

    async def Login(
        self, request: auth_pb2.LoginRequest, context: Context
    ) -> auth_pb2.TokenResponse:
        user = await self._accounts.login(request.username, request.password)
        return _tokens(await self._sessions.open(user))

    async def Refresh(
        self, request: auth_pb2.RefreshRequest, context: Context
    ) -> auth_pb2.TokenResponse:
        return _tokens(await self._sessions.refresh(request.refresh_token))

    async def Logout(
        self, request: auth_pb2.LogoutRequest, context: Context
    ) -> auth_pb2.LogoutResponse:
        identity = current_identity()
        revoked = bool(identity.session_id) and await self._sessions.close(identity.session_id)
        return auth_pb2.LogoutResponse(revoked=revoked)

    async def GetMe(self, request: auth_pb2.GetMeRequest, context: Context) -> auth_pb2.User:
        return _user(await self._accounts.get(_person(current_identity()).user_id))

    async def ListMyApiKeys(
        self, request: auth_pb2.ListApiKeysRequest, context: Context
    ) -> auth_pb2.ListApiKeysResponse:
        caller = _person(current_identity())
        _own(request.owner_id, caller)
        listing = await self._keys.list(
            caller.user_id, request.include_revoked, request.page.page_size, request.page.page_token
        )
        return _listing(listing)

    async def CreateMyApiKey(
        self, request: auth_pb2.CreateApiKeyRequest, context: Context
    ) -> auth_pb2.CreateApiKeyResponse:
        caller = _person(current_identity())
        _own(request.owner_id, caller)
        return await self._create_key(caller, request, caller.user_id)

    async def RevokeMyApiKey(
        self, request: auth_pb2.RevokeApiKeyRequest, context: Context
    ) -> auth_pb2.ApiKey:
        caller = _person(current_identity())
        return _key(await self._keys.revoke(caller, request.id, any_owner=False))

    async def ListApiKeys(
        self, request: auth_pb2.ListApiKeysRequest, context: Context
    ) -> auth_pb2.ListApiKeysResponse:
        listing = await self._keys.list(
            request.owner_id or None,
            request.include_revoked,
            request.page.page_size,
            request.page.page_token,
        )
        return _listing(listing)

    async def CreateApiKey(
        self, request: auth_pb2.CreateApiKeyRequest, context: Context
    ) -> auth_pb2.CreateApiKeyResponse:
        caller = current_identity()
        return await self._create_key(caller, request, request.owner_id or caller.user_id)

    async def UpdateApiKey(
        self, request: auth_pb2.UpdateApiKeyRequest, context: Context
    ) -> auth_pb2.ApiKey:
        key = await self._keys.update(
            request.id, request.name, request.description, request.rate_limit
        )
        return _key(key)

    async def RevokeApiKey(
        self, request: auth_pb2.RevokeApiKeyRequest, context: Context
    ) -> auth_pb2.ApiKey:
        return _key(await self._keys.revoke(current_identity(), request.id, any_owner=True))

    async def GetUserUsage(
        self, request: auth_pb2.GetUserUsageRequest, context: Context
    ) -> auth_pb2.UserUsage:
        report = await self._usage.report(request.id, request.days)
        return auth_pb2.UserUsage(
            user_id=report.user_id,
            days=[
                auth_pb2.DailyUsage(
                    date=day.day.isoformat(),
                    queries=day.queries,
                    cache_hits=day.cache_hits,
                    rate_limit_rejections=day.rate_limit_rejections,
                )
                for day in report.days
            ],
            total_queries=report.total_queries,
            total_cache_hits=report.total_cache_hits,
            total_rate_limit_rejections=report.total_rate_limit_rejections,
            last_activity_at=optional_timestamp(report.last_activity_at),
        )

    async def Authenticate(
        self, request: auth_pb2.AuthenticateRequest, context: Context
    ) -> auth_pb2.AuthenticateResponse:
        decision = await self._authorizer.decide(
            rule_for(request.method), request.authorization, request.api_key
        )
        identity = decision.identity
        response = auth_pb2.AuthenticateResponse(
            identity=auth_pb2.Identity(
                user_id=identity.user_id,
                username=identity.username,
                roles=identity.roles,
                api_key_id=identity.api_key_id,
                session_id=identity.session_id,
                service=identity.service,
            ),
            identity_token=self._signer.sign(identity),
        )
        if (limit := decision.rate_limit) is not None:
            response.rate_limit.CopyFrom(
                auth_pb2.RateLimitStatus(
                    limit=limit.limit, remaining=limit.remaining, reset=limit.reset
                )
            )
        return response

    async def RecordUsage(
        self, request: auth_pb2.RecordUsageRequest, context: Context
    ) -> auth_pb2.RecordUsageResponse:
        await self._usage.record(request.user_id, request.queries, request.cache_hits)
        return auth_pb2.RecordUsageResponse()

    async def _create_key(
        self, caller: Identity, request: auth_pb2.CreateApiKeyRequest, owner_id: str
    ) -> auth_pb2.CreateApiKeyResponse:
        key, secret = await self._keys.create(
            caller,
            KeyRequest(
                name=request.name,
                description=request.description,
                rate_limit=request.rate_limit,
                ttl_seconds=request.ttl_seconds,
                roles=tuple(request.roles),
                owner_id=owner_id,
            ),
        )
        return auth_pb2.CreateApiKeyResponse(api_key=_key(key), key=secret)


def _person(identity: Identity) -> Identity:
    """The caller as a user account; services have none."""
    if identity.service:
        raise NotFound("services have no user account")
    return identity


def _own(owner_id: str, caller: Identity) -> None:
    if owner_id and owner_id != caller.user_id:
        raise PermissionDenied("other users' keys are managed through /admin/api-keys")


def _user(user: User) -> auth_pb2.User:
    return auth_pb2.User(
        id=user.id,
        username=user.username,
        email=user.email,
        roles=user.roles,
        created_at=optional_timestamp(user.created_at),
    )


def _tokens(pair: TokenPair) -> auth_pb2.TokenResponse:
    return auth_pb2.TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type="Bearer",
        expires_at=optional_timestamp(pair.expires_at),
        user=_user(pair.user),
    )


def _key(key: ApiKey) -> auth_pb2.ApiKey:
    return auth_pb2.ApiKey(
        id=key.id,
        name=key.name,
        description=key.description,
        prefix=key.prefix,
        owner_id=key.owner_id,
        roles=key.roles,
        rate_limit=key.rate_limit,
        expires_at=optional_timestamp(key.expires_at),
        last_used_at=optional_timestamp(key.last_used_at),
        created_at=optional_timestamp(key.created_at),
        revoked_at=optional_timestamp(key.revoked_at),
    )


def _listing(listing: KeyListing) -> auth_pb2.ListApiKeysResponse:
    return auth_pb2.ListApiKeysResponse(
        api_keys=[_key(k) for k in listing.keys],
        page=common_pb2.PageResponse(
            next_page_token=listing.next_page_token, total_size=listing.total
        ),
    )
