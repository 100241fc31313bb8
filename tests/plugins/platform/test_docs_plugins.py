"""The partner guide's code runs as written (Datasette's test_docs_plugins is the model).

The guide's Python blocks, in order, are the scaffold's ``notes`` plugin grown hook by
hook; the blocks of its "Testing your plugin" section are that plugin's tests. This test
walks the partner's path: ``pitstop plugin new notes`` as the guide types it, the guide's
code in place of the scaffold's, and ``pytest`` on the result, which serves the plugin's
route and handles a completed order through ``pitstop.testing``. It runs in a subprocess
so the plugin's table and module never join this process's metadata.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "plugins.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TESTING = "## Testing your plugin"


def _blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(text) if lang == language]


def _env(*paths: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    sources = [ROOT / "platform", ROOT / "plugins", ROOT, *paths]
    return {**base, "PYTHONPATH": os.pathsep.join(str(p) for p in sources)}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout


def test_the_start_tells_the_partner_to_restart_pitstop() -> None:
    # Given the guide's first commands
    start = _blocks(GUIDE.read_text(encoding="utf-8"), "sh")[0]
    commands = [line.split("#")[0].strip() for line in start.splitlines()]
    # Then the server is (re)started after the plugin is installed and migrated
    assert commands.index("pitstop serve") > commands.index("pitstop migrate")
    assert "restart" in GUIDE.read_text(encoding="utf-8").split("## The rules")[0]


def test_the_guides_plugin_and_tests_run_from_a_fresh_scaffold(tmp_path: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    hooks, testing = text.split(TESTING)
    # Given the scaffold made exactly as the guide's first command makes it
    new = next(c for c in _blocks(hooks, "sh")[0].splitlines() if c.startswith("pitstop plugin"))
    args = new.split("#")[0].split()[1:]
    _run([sys.executable, "-m", "pitstop.cli", *args], tmp_path, _env())
    dist = tmp_path / args[args.index("--dir") + 1]
    # And the guide's code in place of the scaffold's, its tests beside the scaffold's own
    (dist / "notes" / "__init__.py").write_text("\n\n".join(_blocks(hooks, "python")), "utf-8")
    (dist / "tests" / "test_guide.py").write_text("\n\n".join(_blocks(testing, "python")), "utf-8")
    for template in _blocks(hooks, "html"):  # each names its file on its first line
        path = dist / template.splitlines()[0].removeprefix("{#").removesuffix("#}").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template, "utf-8")
    # When the partner runs pytest in their distribution (no install: it is on the path)
    out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], dist, _env(dist))
    # Then the guide's seven tests and the scaffold's two pass: the route answers, its
    # refusal reads in the reader's language, the completed order is handled, the task,
    # the schedule and the command run, and the console page and the 360° panel show the note
    assert re.search(r"\b9 passed\b", out), out
