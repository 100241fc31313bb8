"""Settings come from the environment only (prefix ``PITSTOP_``).

With nothing set, Pitstop runs embedded: SQLite under ``var/``, an in-process broker and a
secret generated once into ``var/``. Setting ``PITSTOP_REDIS_URL`` or a PostgreSQL
``PITSTOP_DATABASE_URL`` switches to production mode, where a weak secret is refused:
a misconfigured server must stop at start-up with one line naming the setting, never serve.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

MIN_SECRET_LENGTH = 32
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SUPPORTED_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message names it on one line."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    migration_database_url: str
    redis_url: str | None
    secret_key: str
    var_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = False
    demo_password: str = "pitstop-demo-2026"
    token_ttl_seconds: int = 1800
    refresh_ttl_seconds: int = 30 * 24 * 3600
    """How long an unused refresh token lives; each refresh issues a new one."""
    invite_ttl_seconds: int = 72 * 3600
    plugins_allow: tuple[str, ...] | None = None
    plugins_blocked: tuple[str, ...] = field(default_factory=tuple)
    broker_heartbeat_ms: int = 60_000
    """How long a silent worker is presumed alive before Redis hands its messages to others."""
    trusted_proxies: tuple[str, ...] = ()
    """Peers whose ``X-Forwarded-For`` names the client (addresses or networks); none by default."""
    plugin_trace: bool = False
    """Log every plugin hook call (hook, plugin, duration; never its arguments)."""

    @property
    def embedded(self) -> bool:
        """Embedded = SQLite and no Redis: one process runs API, worker and scheduler."""
        return self.redis_url is None

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        var_dir = Path(env.get("PITSTOP_VAR_DIR", "var")).resolve()
        default_db = f"sqlite+aiosqlite:///{var_dir / 'pitstop.db'}"
        database_url = _database_url(env, "PITSTOP_DATABASE_URL", default_db)
        migration_url = _database_url(env, "PITSTOP_MIGRATION_DATABASE_URL", database_url)
        redis_url = env.get("PITSTOP_REDIS_URL") or None
        if redis_url is not None and not redis_url.startswith(("redis://", "rediss://")):
            raise SettingsError("PITSTOP_REDIS_URL must start with redis:// or rediss://")
        production = redis_url is not None or database_url.startswith("postgresql")
        return cls(
            database_url=database_url,
            migration_database_url=migration_url,
            redis_url=redis_url,
            secret_key=_secret_key(env, var_dir, production),
            var_dir=var_dir,
            host=env.get("PITSTOP_HOST", "127.0.0.1"),
            port=_port(env),
            log_level=_log_level(env),
            log_json=env.get("PITSTOP_LOG_JSON", "").lower() in {"1", "true", "yes"},
            demo_password=env.get("PITSTOP_DEMO_PASSWORD", "pitstop-demo-2026"),
            token_ttl_seconds=_int(env, "PITSTOP_TOKEN_TTL_SECONDS", 1800),
            refresh_ttl_seconds=_int(env, "PITSTOP_REFRESH_TTL_SECONDS", 30 * 24 * 3600),
            invite_ttl_seconds=_int(env, "PITSTOP_INVITE_TTL_SECONDS", 72 * 3600),
            plugins_allow=_names(env.get("PITSTOP_PLUGINS")),
            plugins_blocked=_names(env.get("PITSTOP_PLUGINS_BLOCKED")) or (),
            broker_heartbeat_ms=_int(env, "PITSTOP_BROKER_HEARTBEAT_MS", 60_000),
            trusted_proxies=_networks(env, "PITSTOP_TRUSTED_PROXIES"),
            plugin_trace=env.get("PITSTOP_PLUGIN_TRACE", "").lower() in {"1", "true", "yes"},
        )


def _database_url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name) or default
    try:
        url: URL = make_url(raw)
    except ArgumentError:
        raise SettingsError(f"{name} is not a database URL: {_redact(raw)}") from None
    driver = url.drivername
    if driver == "sqlite":
        driver = "sqlite+aiosqlite"
    elif driver in {"postgresql", "postgres", "postgresql+psycopg"}:
        driver = "postgresql+asyncpg"
    if driver not in SUPPORTED_DRIVERS:
        raise SettingsError(
            f"{name} uses unsupported driver {url.drivername!r}; use postgresql+asyncpg or sqlite"
        )
    return url.set(drivername=driver).render_as_string(hide_password=False)


def _secret_key(env: Mapping[str, str], var_dir: Path, production: bool) -> str:
    secret = env.get("PITSTOP_SECRET_KEY")
    if secret is not None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                f"PITSTOP_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters"
            )
        return secret
    if production:
        raise SettingsError("PITSTOP_SECRET_KEY is required in production mode")
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(48)
    path.write_text(generated)
    path.chmod(0o600)
    return generated


def _port(env: Mapping[str, str]) -> int:
    port = _int(env, "PITSTOP_PORT", 8000)
    if not 0 < port < 65536:
        raise SettingsError("PITSTOP_PORT must be between 1 and 65535")
    return port


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _log_level(env: Mapping[str, str]) -> str:
    level = env.get("PITSTOP_LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"PITSTOP_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    return level


def _names(raw: str | None) -> tuple[str, ...] | None:
    if raw is None or raw.strip() == "":
        return None
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Addresses or CIDR networks, normalised so the server cannot misread one as a name."""
    entries = []
    for raw in _names(env.get(name)) or ():
        try:
            network = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            raise SettingsError(f"{name} lists {raw!r}, not an address or network") from None
        single = network.num_addresses == 1 and "/" not in raw
        entries.append(str(network.network_address) if single else str(network))
    return tuple(entries)


def _redact(url: str) -> str:
    """Never echo a password back into a log line or terminal."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
