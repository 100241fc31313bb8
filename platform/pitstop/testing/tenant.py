"""The kit's fresh tenant and its database.

The tenant is written as a manifest and applied through ``pitstop tenants apply``'s own
code, so its stores, staff, roles and plugin settings are validated exactly as an
operator's would be (a bad setting fails the test at once, naming the field). The database
is embedded SQLite in a temporary file, migrated once per process and plugin set and then
copied, because running every Alembic branch costs far more than a test should.
"""

from __future__ import annotations

import atexit
import json
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pitstop.access.permissions import ROLE_TEMPLATES, STORE_SCOPED_ROLES
from pitstop.bootstrap.migrate import upgrade
from pitstop.settings import Settings

SLUG = "kit-chain"
DEFAULT_STORES: tuple[Mapping[str, Any], ...] = (
    {"code": "S001", "name": "Store 1", "city": "上海", "hours": {"daily": "08:30-18:00"}},
)
_templates: dict[tuple[str, ...], Path] = {}


def staff_email(role: str, store: str | None) -> str:
    """Who the kit signs in as: one person per HQ role, one per store-scoped role and store."""
    return f"{role}.{store.lower()}@{SLUG}.example" if store else f"{role}@{SLUG}.example"


def manifest(
    stores: Sequence[Mapping[str, Any]],
    plugins: Mapping[str, Mapping[str, Any]],
    timezone: str,
) -> dict[str, Any]:
    """The tenant as a manifest: its stores, a staff member per role, its plugins on."""
    codes = [str(store["code"]) for store in stores]
    staff = []
    for role in ROLE_TEMPLATES:
        for code in codes if role in STORE_SCOPED_ROLES else [None]:
            entry = {"email": staff_email(role, code), "name": role, "role": role}
            staff.append({**entry, "stores": [code]} if code else entry)
    return {
        "slug": SLUG,
        "name": "Kit Chain",
        "kind": "chain",
        "timezone": timezone,
        "stores": [dict(store) for store in stores],
        "staff": staff,
        "plugins": {name: {"enabled": True, **settings} for name, settings in plugins.items()},
    }


def write_manifest(directory: Path, spec: Mapping[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{SLUG}.toml"
    path.write_text("".join(f"{_key(k)} = {_toml(v)}\n" for k, v in spec.items()), "utf-8")
    return path


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _toml(value: Any) -> str:
    """JSON-shaped values as TOML inline values (TOML's basic strings are JSON's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"a setting of type {type(value).__name__} cannot go in a manifest")


_SECRET = secrets.token_urlsafe(48)
"""One per test process, not per app: apps of one plugin set share their routing
(pitstop/testing/apps.py), and the edge checks tokens with the secret it was built with.
Each app's tokens still name its own tenant and staff, which no other app's database has."""


def settings_for(
    directory: Path, database_url: str | None = None, migration_url: str | None = None
) -> Settings:
    url = database_url or f"sqlite+aiosqlite:///{directory / 'pitstop.db'}"
    return Settings.from_env(
        {
            "PITSTOP_VAR_DIR": str(directory),
            "PITSTOP_DATABASE_URL": url,
            "PITSTOP_MIGRATION_DATABASE_URL": migration_url or url,
            "PITSTOP_SECRET_KEY": _SECRET,
            "PITSTOP_LOG_LEVEL": "WARNING",
        }
    )


async def migrated_database(settings: Settings, migration_dirs: Sequence[Path]) -> None:
    """Put a migrated database at ``settings.database_url``: copied from this process's
    template for the same migrations, made (once) if there is none yet. A server database
    (PostgreSQL) is upgraded in place instead."""
    if not settings.database_url.startswith("sqlite"):
        upgrade(settings, list(migration_dirs))  # a server the caller provides and empties
        return
    key = tuple(sorted(str(d) for d in migration_dirs))
    target = Path(settings.var_dir) / "pitstop.db"
    template = _templates.get(key)
    if template is None:
        home = Path(tempfile.mkdtemp(prefix="pitstop-kit-"))
        atexit.register(shutil.rmtree, home, ignore_errors=True)
        template = home / "template.db"
        upgrade(settings_for(home), list(migration_dirs))
        (home / "pitstop.db").rename(template)
        _templates[key] = template
    shutil.copyfile(template, target)
