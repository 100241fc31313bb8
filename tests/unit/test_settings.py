"""Start-up fails fast, with one line naming the setting, on a wrong configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitstop.settings import Settings, SettingsError


def test_embedded_defaults_generate_a_secret_once(tmp_path: Path) -> None:
    # Given no settings but a var dir
    env = {"PITSTOP_VAR_DIR": str(tmp_path)}
    # When settings are read twice
    first, second = Settings.from_env(env), Settings.from_env(env)
    # Then it runs embedded on SQLite under var/, with one persisted secret
    assert first.embedded and first.database_url.startswith("sqlite+aiosqlite:///")
    assert str(tmp_path) in first.database_url
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PITSTOP_DATABASE_URL": "not a url"}, "PITSTOP_DATABASE_URL"),
        ({"PITSTOP_DATABASE_URL": "mysql://u@h/db"}, "PITSTOP_DATABASE_URL"),
        ({"PITSTOP_MIGRATION_DATABASE_URL": "oracle://x"}, "PITSTOP_MIGRATION_DATABASE_URL"),
        ({"PITSTOP_REDIS_URL": "http://localhost"}, "PITSTOP_REDIS_URL"),
        ({"PITSTOP_PORT": "eighty"}, "PITSTOP_PORT"),
        ({"PITSTOP_PORT": "70000"}, "PITSTOP_PORT"),
        ({"PITSTOP_LOG_LEVEL": "LOUD"}, "PITSTOP_LOG_LEVEL"),
        ({"PITSTOP_SECRET_KEY": "short"}, "PITSTOP_SECRET_KEY"),
        ({"PITSTOP_REDIS_URL": "redis://localhost:6379/0"}, "PITSTOP_SECRET_KEY"),
        ({"PITSTOP_DATABASE_URL": "postgresql://app@db/pitstop"}, "PITSTOP_SECRET_KEY"),
    ],
)
def test_bad_setting_is_named(tmp_path: Path, env: dict[str, str], named: str) -> None:
    # Given a wrong or missing required setting
    env = {"PITSTOP_VAR_DIR": str(tmp_path), **env}
    # When settings are read
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    # Then the one-line message names the setting
    assert named in str(error.value)
    assert "\n" not in str(error.value)


def test_production_mode_with_a_strong_secret(tmp_path: Path) -> None:
    # Given PostgreSQL, Redis and a long secret
    env = {
        "PITSTOP_VAR_DIR": str(tmp_path),
        "PITSTOP_DATABASE_URL": "postgresql://app:pw@db/pitstop",
        "PITSTOP_REDIS_URL": "redis://redis:6379/0",
        "PITSTOP_SECRET_KEY": "x" * 40,
    }
    # When read
    settings = Settings.from_env(env)
    # Then the async driver is chosen and the migration URL defaults to the app URL
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.migration_database_url == settings.database_url
    assert not settings.embedded


def test_password_is_never_echoed(tmp_path: Path) -> None:
    # Given an unsupported URL that carries a password
    env = {"PITSTOP_VAR_DIR": str(tmp_path), "PITSTOP_DATABASE_URL": "mysql://u:s3cret@h/db"}
    # When rejected
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    # Then the password is not in the message
    assert "s3cret" not in str(error.value)
