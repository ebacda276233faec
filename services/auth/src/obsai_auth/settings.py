"""Auth service settings, read from the environment (see the README's table).

Secrets: ``JWT_SECRET`` signs user access tokens; ``OBSAI_INTERNAL_SECRET`` (from
`CommonSettings`) signs the internal identity tokens every service trusts. Outside
development both must be set: the service refuses to start with a missing or short
JWT secret, with the public development internal secret, or with the two equal.
``OBSAI_DEV_MODE=true`` allows the built-in development secrets (never in production).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from obsai_common.settings import DEV_INTERNAL_SECRET, CommonSettings

DEV_JWT_SECRET = "obsai-dev-jwt-secret-change-me-0123456789"
MIN_SECRET_LENGTH = 32


class AuthSettings(CommonSettings):
    service_name: str = "auth"
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    # Envoy's ext_authz asks here (HTTP/1.1, on GRPC_HOST); 0 picks a free port.
    ext_authz_port: int = Field(default=50061, ge=0, le=65535)

    # Allow the built-in development secrets (JWT and internal). Never in production.
    obsai_dev_mode: bool = False
    # HS256 key for access tokens, at least 32 characters.
    jwt_secret: SecretStr | None = None
    jwt_issuer: str = "obsai"
    access_token_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    # Lifetime of a session (refresh family); every refresh extends it.
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)

    # Whether anyone may register; when false only the bootstrap admin exists
    # until an operator creates users.
    open_registration: bool = True
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    # Failed logins per username within the window before login is refused.
    login_max_failures: int = Field(default=10, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)

    # Requests per window, per identity (user id or API key id).
    rate_limit_window_seconds: int = Field(default=3600, ge=1)
    rate_limit_user: int = Field(default=100, ge=1)
    rate_limit_admin: int = Field(default=1000, ge=1)
    rate_limit_api_key_default: int = Field(default=100, ge=1)
    # Resolved API keys are cached this long (revocations reach every replica
    # at once through Redis; this bounds a missed message). 0 disables.
    api_key_cache_seconds: float = Field(default=30.0, ge=0)
    # What a Redis outage does to session checks and rate limits:
    # "closed" refuses with UNAVAILABLE; "open" accepts signed, unexpired tokens
    # without the revocation check and skips rate limiting.
    redis_failure_mode: Literal["closed", "open"] = "closed"

    # The first administrator, created at first start if absent. With no
    # password set, one is generated and printed once to stdout.
    obsai_admin_username: str = "admin"
    obsai_admin_email: str = "admin@obsai.local"
    obsai_admin_password: SecretStr | None = None

    @model_validator(mode="after")
    def _secrets_are_safe(self) -> AuthSettings:
        internal = self.obsai_internal_secret.get_secret_value()
        if self.jwt_secret is None:
            if not self.obsai_dev_mode:
                raise ValueError("JWT_SECRET is required (or OBSAI_DEV_MODE=true for development)")
        elif len(self.jwt_secret.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if internal == DEV_INTERNAL_SECRET and not self.obsai_dev_mode:
            raise ValueError(
                "OBSAI_INTERNAL_SECRET is the public development value: set a secret "
                "(or OBSAI_DEV_MODE=true for development)"
            )
        if self.jwt_signing_key() == internal:
            raise ValueError("JWT_SECRET and OBSAI_INTERNAL_SECRET must differ")
        return self

    def jwt_signing_key(self) -> str:
        if self.jwt_secret is None:
            return DEV_JWT_SECRET
        return self.jwt_secret.get_secret_value()
