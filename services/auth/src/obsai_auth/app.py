"""Wiring: Postgres (schema ``auth``), Redis, the domain, the servicers and the ext_authz port.

`build_app` is an async context manager yielding the `ServiceApp` that
`obsai_common.server` serves; everything it opens is closed on exit.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable

from envoy.service.auth.v3 import external_auth_pb2_grpc

from obsai.v1 import auth_pb2_grpc
from obsai_auth.api_keys import ApiKeys, PgApiKeyStore
from obsai_auth.authorizer import Authorizer, LocalAuthenticator, RateLimits
from obsai_auth.ext_authz import GatewayCheck
from obsai_auth.ext_authz_grpc import AuthorizationServicer
from obsai_auth.ext_authz_http import check_http_server
from obsai_auth.grpc_api import AuthServicer
from obsai_auth.key_cache import CachingKeyStore
from obsai_auth.passwords import PasswordHasher
from obsai_auth.rate_limit import RedisLoginThrottle, RedisRateLimiter
from obsai_auth.settings import AuthSettings
from obsai_auth.tokens import AccessTokens, RedisSessionStore, Sessions
from obsai_auth.usage import PgUsageStore, Usage
from obsai_auth.users import Accounts, PgUserStore
from obsai_common.db import apply_migrations, create_pool
from obsai_common.identity import InternalTokenSigner
from obsai_common.redis_client import create_redis
from obsai_common.server import ServiceApp, Servicer

log = logging.getLogger(__name__)

SCHEMA = "auth"
EXT_AUTHZ_PORT = "ext_authz_port"
MIGRATIONS = "obsai_auth.migrations"


def announce_admin_password(username: str, password: str) -> None:
    """Shown once, on stdout only: never through logging."""
    print(
        f"ObsAI: created the admin account '{username}' with password: {password}\n"
        "ObsAI: it is shown only this once; set OBSAI_ADMIN_PASSWORD to choose it yourself.",
        file=sys.stdout,
        flush=True,
    )


async def migrate(settings: AuthSettings) -> list[str]:
    pool = await create_pool(
        settings.database_url.get_secret_value(), SCHEMA, min_size=1, max_size=1
    )
    try:
        return await apply_migrations(pool, SCHEMA, MIGRATIONS)
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def build_app(
    settings: AuthSettings,
    *,
    clock: Callable[[], float] = time.time,
    announce: Callable[[str, str], None] = announce_admin_password,
) -> AsyncIterator[ServiceApp]:
    async with contextlib.AsyncExitStack() as stack:
        pool = await create_pool(
            settings.database_url.get_secret_value(),
            SCHEMA,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
        )
        stack.push_async_callback(pool.close)
        await apply_migrations(pool, SCHEMA, MIGRATIONS)
        redis = create_redis(settings.redis_url.get_secret_value())
        stack.push_async_callback(redis.aclose)

        signer = InternalTokenSigner(
            settings.obsai_internal_secret.get_secret_value(), settings.internal_token_ttl_seconds
        )
        accounts = Accounts(
            PgUserStore(pool),
            PasswordHasher(settings.bcrypt_rounds),
            RedisLoginThrottle(
                redis, settings.login_max_failures, settings.login_failure_window_seconds
            ),
            open_registration=settings.open_registration,
        )
        tokens = AccessTokens(
            settings.jwt_signing_key(),
            settings.jwt_issuer,
            settings.access_token_ttl_seconds,
            clock,
        )
        session_store = RedisSessionStore(redis)
        sessions = Sessions(session_store, tokens, accounts, settings.refresh_token_ttl_seconds)
        key_store = CachingKeyStore(PgApiKeyStore(pool), redis, settings.api_key_cache_seconds)
        await key_store.start()
        stack.push_async_callback(key_store.close)
        keys = ApiKeys(key_store, accounts, settings.rate_limit_api_key_default)
        usage = Usage(PgUsageStore(pool), accounts)
        authorizer = Authorizer(
            tokens=tokens,
            sessions=session_store,
            keys=key_store,
            limiter=RedisRateLimiter(redis, clock),
            rejections=usage,
            limits=RateLimits(
                user=settings.rate_limit_user,
                admin=settings.rate_limit_admin,
                window_seconds=settings.rate_limit_window_seconds,
            ),
            redis_failure_mode=settings.redis_failure_mode,
            clock=clock,
        )

        admin_password = settings.obsai_admin_password
        generated = await accounts.ensure_admin(
            settings.obsai_admin_username,
            settings.obsai_admin_email,
            admin_password.get_secret_value() if admin_password else None,
        )
        if generated is not None:
            announce(settings.obsai_admin_username, generated)

        check = GatewayCheck(authorizer, signer)
        port = await stack.enter_async_context(
            check_http_server(check, settings.grpc_host, settings.ext_authz_port)
        )

        auth = AuthServicer(
            accounts=accounts,
            sessions=sessions,
            keys=keys,
            usage=usage,
            authorizer=authorizer,
            signer=signer,
        )
        yield ServiceApp(
            servicers=[
                Servicer(
                    "obsai.v1.AuthService", auth, auth_pb2_grpc.add_AuthServiceServicer_to_server
                ),
                Servicer(
                    "envoy.service.auth.v3.Authorization",
                    AuthorizationServicer(check),
                    external_auth_pb2_grpc.add_AuthorizationServicer_to_server,
                ),
            ],
            authenticator=LocalAuthenticator(authorizer),
            extra_ports={EXT_AUTHZ_PORT: port},
        )
