"""The verified caller, and the short-lived internal tokens that carry it.

The auth service is the only issuer of user identities: Envoy's Check and the
gRPC Authenticate RPC both end in an ``InternalTokenSigner.sign`` whose token
travels in the ``x-obsai-identity`` metadata. Every service verifies it locally
with the shared secret, so a client cannot forge or alter an identity, and no
extra network hop is paid per request.
"""

from __future__ import annotations

import contextvars
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt

from obsai_common.errors import Unauthenticated
from obsai_common.token_cache import VerifiedTokens

IDENTITY_METADATA = "x-obsai-identity"
_AUDIENCE = "obsai-internal"
_ISSUER = "obsai-auth"
_ALGORITHM = "HS256"
# Distinct identities whose last token is kept for reuse (per process).
_MAX_SIGNED = 10_000


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    username: str
    roles: tuple[str, ...] = ()
    api_key_id: str = ""
    session_id: str = ""
    service: bool = False
    # Tenant (X-Scope-OrgID) this identity may query; empty means the default.
    tenant: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @classmethod
    def for_service(cls, name: str) -> Identity:
        return cls(user_id=f"service:{name}", username=name, roles=("service",), service=True)


class InternalTokenSigner:
    """Signs and verifies identity tokens with the internal HMAC secret.

    A token signed for an identity is handed out again while more than half
    its lifetime is left, so a caller sending many requests carries one token,
    which every service then verifies once (`VerifiedTokens`) instead of per
    request. Identity and roles are the token's whole content, so reuse says
    nothing the next signature would not.
    """

    def __init__(
        self, secret: str, ttl_seconds: int = 120, clock: Callable[[], float] = time.time
    ) -> None:
        if len(secret) < 32:
            raise ValueError("the internal secret must be at least 32 characters")
        self._secret = secret
        self._ttl = ttl_seconds
        self._clock = clock
        self._signed: dict[Identity, tuple[str, float]] = {}
        self._verified: VerifiedTokens[Identity] = VerifiedTokens(clock=clock)

    def sign(self, identity: Identity) -> str:
        now = self._clock()
        signed = self._signed.get(identity)
        if signed is not None and signed[1] - now > self._ttl / 2:
            return signed[0]
        token, expires_at = self._sign(identity, int(now))
        if len(self._signed) >= _MAX_SIGNED:
            self._signed.clear()
        self._signed[identity] = (token, expires_at)
        return token

    def _sign(self, identity: Identity, now: int) -> tuple[str, int]:
        claims = {
            "sub": identity.user_id,
            "usr": identity.username,
            "roles": list(identity.roles),
            "key": identity.api_key_id,
            "sid": identity.session_id,
            "svc": identity.service,
            "ten": identity.tenant,
            "iat": now,
            "exp": now + self._ttl,
            "aud": _AUDIENCE,
            "iss": _ISSUER,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM), now + self._ttl

    def verify(self, token: str) -> Identity:
        identity = self._verified.get(token)
        if identity is None:
            identity, expires_at = self._verify(token)
            self._verified.put(token, identity, expires_at)
        return identity

    def _verify(self, token: str) -> tuple[Identity, float]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=_AUDIENCE,
                issuer=_ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid internal identity token") from exc
        identity = Identity(
            user_id=str(claims["sub"]),
            username=str(claims.get("usr", "")),
            roles=tuple(str(r) for r in claims.get("roles", [])),
            api_key_id=str(claims.get("key", "")),
            session_id=str(claims.get("sid", "")),
            service=bool(claims.get("svc", False)),
            tenant=str(claims.get("ten", "")),
        )
        return identity, float(claims["exp"])


_current: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "obsai_identity", default=None
)


def current_identity() -> Identity:
    """The identity of the RPC being served; raises if the call is anonymous."""
    identity = _current.get()
    if identity is None:
        raise Unauthenticated("authentication required")
    return identity


def optional_identity() -> Identity | None:
    return _current.get()


def bind_identity(identity: Identity | None) -> contextvars.Token[Identity | None]:
    return _current.set(identity)


def unbind_identity(token: contextvars.Token[Identity | None]) -> None:
    _current.reset(token)
