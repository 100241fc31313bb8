"""The SDK changes only on purpose: its surface is a checked-in snapshot, its changes a log.

A plugin is written against ``pitstop.sdk``: the names in ``__all__``, their signatures and
the members of its classes. This test renders that surface (tests/unit/sdk_surface.py) and
compares it with tests/unit/sdk_surface.txt, so a renamed argument, a removed method or a
new name fails here until it is recorded in docs/sdk-changelog.md and the snapshot.
"""

from __future__ import annotations

import difflib
import os
import types
from pathlib import Path

import pytest

import pitstop.sdk as sdk
from tests.unit.sdk_surface import render

SNAPSHOT = Path(__file__).with_name("sdk_surface.txt")
CHANGELOG = Path(__file__).resolve().parents[2] / "docs" / "sdk-changelog.md"
UPDATE = "PITSTOP_UPDATE_SDK_SURFACE"
HOW_TO_UPDATE = f"""
The public surface of pitstop.sdk changed. If that is intended:
  1. record the change in docs/sdk-changelog.md, under the SDK version it ships in (a removal
     or an incompatible change is a new major version; deprecate first, see the policy there);
  2. bump SDK_VERSION (pitstop/plugin_host/types.py) if this is the first change since a release;
  3. regenerate the snapshot: {UPDATE}=1 python -m pytest tests/unit/test_sdk_surface.py
     and commit tests/unit/sdk_surface.txt with the change.
"""


def test_the_sdk_surface_matches_its_recorded_snapshot() -> None:
    # Given the surface as the code has it
    actual = render(sdk)
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.write_text(actual, encoding="utf-8")
    # When it is compared with the recorded snapshot
    recorded = SNAPSHOT.read_text(encoding="utf-8")
    # Then they are the same, or the failure shows the difference and how to record it
    if actual != recorded:
        diff = difflib.unified_diff(
            recorded.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            "tests/unit/sdk_surface.txt (recorded)",
            "pitstop.sdk (now)",
        )
        pytest.fail("".join(diff) + HOW_TO_UPDATE, pytrace=False)


def test_every_public_name_of_the_sdk_module_is_in_all() -> None:
    # Given the names the module binds (an import a partner could reach by accident)
    bound = {
        name
        for name, value in vars(sdk).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    # Then each is a deliberate part of the surface
    assert sorted(bound - set(sdk.__all__)) == []
    assert sorted(set(sdk.__all__) - bound) == []


def test_the_changelog_describes_the_current_sdk_version() -> None:
    # Given the SDK version this core provides
    page = CHANGELOG.read_text(encoding="utf-8")
    # Then the changelog has its section and states the deprecation policy
    assert f"## SDK {sdk.SDK_VERSION}" in page
    assert "## Deprecation policy" in page
