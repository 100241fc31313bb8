"""The partner guide documents every hook with its exact arguments (Datasette's rule)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from pitstop.plugin_host import specs

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "plugins.md"
HEADING = re.compile(r"^### `(\w+)\(([^)]*)\)`$", re.MULTILINE)


def _hookspecs() -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(function).parameters)
        for name, function in inspect.getmembers(specs, inspect.isfunction)
        if hasattr(function, "pitstop_spec")
    }


def test_every_hookspec_has_a_section_with_its_exact_arguments() -> None:
    # Given the hookspecs and the guide's "### `hook(args)`" sections
    documented = {
        name: [a.strip() for a in args.split(",") if a.strip()]
        for name, args in HEADING.findall(GUIDE.read_text(encoding="utf-8"))
    }
    assert len(documented) >= 10
    # Then they agree exactly: no hook undocumented, no argument differing, no stale section
    assert documented == _hookspecs()


def test_every_hookspec_has_a_docstring() -> None:
    for name in _hookspecs():
        assert (getattr(specs, name).__doc__ or "").strip(), name
