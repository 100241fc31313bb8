"""``pitstop migrate``: upgrade the core and every installed plugin's Alembic branch.

Alembic is configured in code rather than from an ini file so that plugin version
directories found through entry points join ``version_locations`` at run time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

import pitstop
from pitstop.settings import Settings


def migrations_dir() -> Path:
    """The packaged copy in a wheel, else the repository's ``migrations/`` (editable)."""
    packaged = Path(pitstop.__file__).parent / "migrations"
    if packaged.is_dir():
        return packaged
    return Path(pitstop.__file__).resolve().parents[2] / "migrations"


def alembic_config(settings: Settings, plugin_version_dirs: Sequence[Path] = ()) -> Config:
    cfg = Config()
    root = migrations_dir()
    cfg.set_main_option("script_location", str(root))
    locations = [str(root / "versions"), *(str(p) for p in plugin_version_dirs)]
    cfg.set_main_option("version_locations", " ".join(locations))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["settings"] = settings
    return cfg


def installed_plugin_dirs(settings: Settings) -> list[Path]:
    """Version directories of the plugins this deployment loads (allow/block lists apply)."""
    from pitstop.plugin_host.manager import PluginHost

    host = PluginHost.from_entry_points(settings.plugins_allow, settings.plugins_blocked)
    return host.migration_dirs()


def upgrade(settings: Settings, plugin_version_dirs: Sequence[Path] | None = None) -> list[str]:
    """Upgrade every branch to its head: the core's and each installed plugin's.

    Returns what ran, as ``<branch> <revision file>`` lines (``core 0003_core_crm``), so an
    operator sees what changed and "up to date" is said only when nothing did.
    """
    if plugin_version_dirs is None:
        plugin_version_dirs = installed_plugin_dirs(settings)
    if settings.database_url.startswith("sqlite"):
        db_path = make_url(settings.migration_database_url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(settings, plugin_version_dirs)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(config, "heads")
        return list(config.attributes.get("applied", []))
    # Called from async code (tests, the demo loader): the env runs its own event loop,
    # which cannot nest, so it gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, config, "heads").result()
    return list(config.attributes.get("applied", []))
