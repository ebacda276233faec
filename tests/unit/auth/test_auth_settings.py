"""Settings refuse unsafe secrets, and configuration errors never echo a secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from obsai_auth.__main__ import load_settings, main
from obsai_auth.settings import DEV_JWT_SECRET, AuthSettings

JWT = "j" * 40
INTERNAL = "i" * 40


def test_defaults() -> None:
    settings = AuthSettings(jwt_secret=JWT, obsai_internal_secret=INTERNAL)
    assert (settings.service_name, settings.grpc_port) == ("auth", 50051)
    assert settings.access_token_ttl_seconds == 86400
    assert (settings.rate_limit_user, settings.rate_limit_admin) == (100, 1000)
    assert settings.rate_limit_window_seconds == 3600
    assert settings.redis_failure_mode == "closed"
    assert settings.open_registration is True
    assert settings.obsai_admin_username == "admin"
    assert settings.obsai_admin_password is None
    assert JWT not in repr(settings)


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", JWT)
    monkeypatch.setenv("OBSAI_INTERNAL_SECRET", INTERNAL)
    monkeypatch.setenv("RATE_LIMIT_USER", "7")
    monkeypatch.setenv("REDIS_FAILURE_MODE", "open")
    monkeypatch.setenv("OPEN_REGISTRATION", "false")
    monkeypatch.setenv("OBSAI_ADMIN_PASSWORD", "p" * 12)
    settings = AuthSettings()
    assert settings.rate_limit_user == 7
    assert settings.redis_failure_mode == "open"
    assert settings.open_registration is False
    assert settings.obsai_admin_password is not None
    assert settings.jwt_signing_key() == JWT


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"obsai_internal_secret": INTERNAL}, "JWT_SECRET is required"),
        ({"jwt_secret": "short", "obsai_internal_secret": INTERNAL}, "at least 32"),
        ({"jwt_secret": JWT}, "OBSAI_INTERNAL_SECRET is the public development value"),
        ({"jwt_secret": JWT, "obsai_internal_secret": JWT}, "must differ"),
        (
            {"jwt_secret": JWT, "obsai_internal_secret": INTERNAL, "redis_failure_mode": "x"},
            "closed",
        ),
        (
            {"jwt_secret": JWT, "obsai_internal_secret": INTERNAL, "bcrypt_rounds": 3},
            "greater than or equal to 4",
        ),
    ],
)
def test_unsafe_settings_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AuthSettings(**values)  # type: ignore[arg-type]


def test_dev_mode_allows_the_development_secrets() -> None:
    settings = AuthSettings(obsai_dev_mode=True)
    assert settings.jwt_signing_key() == DEV_JWT_SECRET


def test_configuration_errors_name_the_field_not_the_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", "a-short-but-secret-value")
    monkeypatch.setenv("OBSAI_INTERNAL_SECRET", INTERNAL)
    with pytest.raises(SystemExit) as info:
        load_settings()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "JWT_SECRET must be at least 32 characters" in err
    assert "a-short-but-secret-value" not in err


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bogus"])
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err
