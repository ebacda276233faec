"""Password rules and bcrypt hashing, off the event loop.

bcrypt reads at most 72 bytes, so longer passwords are refused rather than
silently truncated. Verification costs the same whether the user exists, has
an unusable (empty) hash, or has a real one, so timing reveals nothing; a
stored hash that is not a bcrypt hash never matches any password.
"""

from __future__ import annotations

import asyncio

import bcrypt

from obsai_common.errors import InvalidArgument

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72


def validate_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidArgument(f"password must be at least {MIN_PASSWORD_CHARS} characters")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise InvalidArgument(f"password must be at most {MAX_PASSWORD_BYTES} bytes (UTF-8)")
    if "\x00" in password:
        raise InvalidArgument("password must not contain NUL characters")
    if not password.strip():
        raise InvalidArgument("password must not be only whitespace")
    if password.casefold() == username.casefold():
        raise InvalidArgument("password must differ from the username")


class PasswordHasher:
    def __init__(self, rounds: int = 12) -> None:
        self._rounds = rounds
        # Compared against when there is no usable hash, to equalise timing.
        self._dummy = bcrypt.hashpw(b"obsai-timing-equaliser", bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self._rounds)
        digest = await asyncio.to_thread(bcrypt.hashpw, password.encode(), salt)
        return digest.decode()

    async def verify(self, password: str, stored_hash: str) -> bool:
        candidate = password.encode()
        if not stored_hash.startswith("$2") or len(candidate) > MAX_PASSWORD_BYTES:
            await asyncio.to_thread(self._check, b"x", self._dummy)
            return False
        return await asyncio.to_thread(self._check, candidate, stored_hash.encode())

    @staticmethod
    def _check(password: bytes, stored_hash: bytes) -> bool:
        try:
            return bcrypt.checkpw(password, stored_hash)
        except ValueError:  # malformed hash in the database: never a match
            return False
