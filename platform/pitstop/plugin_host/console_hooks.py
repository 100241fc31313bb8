"""What a plugin adds to the web console: pages, nav links and panels of the 360° page.

A plugin answers ``console_pages()`` once, at registration, with :class:`ConsolePages`:
Litestar handlers the console mounts under ``/console/<plugin>/`` (inside the console's
router, so the session cookie, CSRF on every post, the security headers and the error pages
are the core's, and the "enabled for this tenant" guard is the API routes' own), the links
it adds to the header (each shown only to a reader holding its permission, only while the
tenant has the plugin on) and a directory of Jinja templates, reachable as
``<plugin>/<file>``.

A page never renders a template itself: it asks for ``page: NamedDependency[ConsolePage]``
and returns ``page("file.html", **values)``. The console masks ``values`` in the one place
core pages are masked (``console.view``): :class:`~pitstop.access.masking.Sensitive` values
under the reader's PII policy and every string scanned as free text, so a plugin page cannot
show a technician a phone number the API would hide. ``customer_panels`` answers a
:class:`CustomerPanel` whose ``values`` go through the same step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec


@dataclass(frozen=True)
class ConsoleLink:
    """A link in the console's header; ``path`` is below ``/console/<plugin>``."""

    path: str
    label: str
    permission: str


@dataclass(frozen=True)
class ConsolePages:
    """A plugin's part of the console (the answer of ``console_pages()``)."""

    handlers: Sequence[Any] = ()
    links: Sequence[ConsoleLink] = ()
    templates: Path | None = None
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    """Translations of the plugin's own strings: ``{"zh_CN": {"Complaints": "投诉"}}``;
    a string without one is shown as written. The console also looks up here the keys of the
    plugin's KPI tile figures and 360° section data (``{"zh_CN": {"reminders_sent": "已发提醒"}}``;
    a key without a label is spelled out) and the string values among them (state codes)."""
    kinds: dict[str, str] = field(default_factory=dict)
    """How the console shows a figure or section value, by key: ``"money"`` (integer fen,
    shown ``¥1,234.50``), ``"ratio"`` (0.125, shown 12.5%) or ``"id"`` (never shown; a
    uuid-valued string is never shown either). Other values are shown as they are. SDK 1.5."""


class CustomerPanel(msgspec.Struct):
    """A plugin's panel on the console's 360° page, drawn by its own template with
    ``values`` (masked for the reader first). The host fills in ``plugin`` and ``error``."""

    title: str
    template: str = ""
    values: dict[str, Any] = {}
    plugin: str = ""
    error: str | None = None


Render = Callable[[str, str, int, dict[str, Any]], Any]


class ConsolePage:
    """The one way a plugin page renders: ``page("file.html", **values)`` answers the
    ``Template`` of ``<plugin>/file.html`` in the console's layout, with ``values`` masked
    for the reader. Given to a plugin page as ``page: NamedDependency[ConsolePage]``."""

    def __init__(self, plugin: str, render: Render) -> None:
        self.plugin = plugin
        self._render = render

    def __call__(self, template: str, *, status: int = 200, **values: Any) -> Any:
        return self._render(self.plugin, template, status, values)
