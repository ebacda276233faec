"""``python -m obsai_auth`` serves; ``python -m obsai_auth migrate`` migrates and exits."""

from __future__ import annotations

import asyncio
import sys

from pydantic import ValidationError

from obsai_auth.app import build_app, migrate
from obsai_auth.settings import AuthSettings
from obsai_common.server import serve

USAGE = "usage: python -m obsai_auth [serve|migrate]"


def load_settings() -> AuthSettings:
    try:
        return AuthSettings()
    except ValidationError as error:
        # Field and reason only: the input may be a secret.
        for problem in error.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in problem["loc"]).upper()
            print(
                f"obsai-auth: configuration error: {where + ': ' if where else ''}{problem['msg']}",
                file=sys.stderr,
            )
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "serve"
    if command not in ("serve", "migrate") or len(args) > 1:
        print(USAGE, file=sys.stderr)
        raise SystemExit(2)
    settings = load_settings()
    if command == "migrate":
        applied = asyncio.run(migrate(settings))
        print(f"obsai-auth: migrations applied: {', '.join(applied) or 'none pending'}")
        return
    serve(settings, lambda: build_app(settings))


if __name__ == "__main__":
    main()
