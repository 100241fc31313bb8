"""docs/permissions.md is generated from the permission table and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from pitstop.access.permissions import PermissionTable, as_markdown
from pitstop.plugin_host.manager import PluginHost

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_the_permissions_page_matches_the_table() -> None:
    # Given the core table extended by the installed plugins, as every runtime builds it
    table = PermissionTable.core()
    table.extend(PluginHost.from_entry_points().permissions())
    # Then the committed page is exactly what `pitstop permissions` prints
    assert DOC.read_text(encoding="utf-8") == as_markdown(table), (
        "regenerate with: pitstop permissions > docs/permissions.md"
    )
    assert "`membership:adjust`" in DOC.read_text(encoding="utf-8")
