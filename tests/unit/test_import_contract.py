"""The import-linter contract forbids every core module but ``pitstop.sdk`` to plugins.

The contract lists modules by name; this test fails when a new core module is added and
the list is not, so the wall around plugins cannot silently grow a door.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_contract_forbids_every_core_module_except_the_sdk() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    [contract] = [c for c in contracts if c["type"] == "forbidden"]
    core = ROOT / "platform" / "pitstop"
    modules = {
        f"pitstop.{path.stem if path.is_file() else path.name}"
        for path in core.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert set(contract["forbidden_modules"]) == modules - {"pitstop.sdk"}
    plugins = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    assert set(contract["source_modules"]) == plugins
