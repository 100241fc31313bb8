"""The scaffold: a partner's new plugin installs, migrates, serves its route and handles events.

Everything that needs the plugin installed runs in subprocesses with the plugin on their
path, so its entry point never leaks into the rest of the suite.
"""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pitstop.plugin_host.scaffold import scaffold
from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[3]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _env(tmp_path: Path, site: Path | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    # This checkout's sources first, whichever checkout the environment was installed from.
    paths = [
        str(ROOT / "platform"),
        str(ROOT / "plugins"),
        str(ROOT),
        *([str(site)] if site else []),
    ]
    return {
        **base,
        "PYTHONPATH": os.pathsep.join(paths),
        "PITSTOP_VAR_DIR": str(tmp_path / "var"),
        "PITSTOP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'pitstop.db'}",
        "PITSTOP_SECRET_KEY": SECRET,
        "PITSTOP_LOG_LEVEL": "WARNING",
    }


@pytest.mark.e2e
def test_a_scaffolded_plugin_installs_migrates_serves_and_subscribes(tmp_path: Path) -> None:
    python = sys.executable
    dist, site = tmp_path / "dist", tmp_path / "site"
    # Given a database migrated before the plugin exists
    _run([python, "-m", "pitstop.cli", "migrate"], _env(tmp_path, None))
    # When a partner scaffolds a plugin and installs it with pip
    _run(
        [python, "-m", "pitstop.cli", "plugin", "new", "notes", "--dir", str(dist)],
        os.environ.copy(),
    )
    _run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(dist)],
        os.environ.copy(),
    )
    # Then its own test passes, and it is listed as loaded
    _run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(dist / "tests")],
        _env(tmp_path, site),
    )
    listed = _run([python, "-m", "pitstop.cli", "plugins", "list"], _env(tmp_path, site)).stdout
    assert "notes" in listed and "loaded" in listed
    # And migrating the existing database creates its table
    _run([python, "-m", "pitstop.cli", "migrate"], _env(tmp_path, site))
    # And for a tenant that enables it, the route answers and the subscription runs
    observed = json.loads(
        _run([python, "-m", "tests.plugins.platform.scaffold_check", "notes"], _env(tmp_path, site))
        .stdout.strip()
        .splitlines()[-1]
    )
    assert observed == {
        "loaded": True,
        "before_enable": 404,
        "enable": 200,
        "route": 200,
        "notes": ["order total 4200"],
    }
    # When the plugin is uninstalled, migrating still works and its data is untouched
    _run([python, "-m", "pitstop.cli", "migrate"], _env(tmp_path, None))
    with sqlite3.connect(tmp_path / "pitstop.db") as db:
        assert db.execute("SELECT count(*) FROM notes_notes").fetchone() == (1,)


def test_the_scaffold_imports_nothing_of_the_core_but_the_sdk_and_the_test_kit(
    tmp_path: Path,
) -> None:
    # Given a freshly scaffolded plugin
    written = scaffold("notes", tmp_path / "dist")
    # When every module's imports are read
    imported = set()
    for path in (p for p in written if p.suffix == ".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    # Then the core is reached through pitstop.sdk and (in its test) pitstop.testing only
    assert {m for m in imported if m.split(".")[0] == "pitstop"} == {
        "pitstop.sdk",
        "pitstop.testing",
    }
