"""A plugin's raw figures (a KPI tile's ``figures``, a 360° section's ``data``) as a reader
reads them: each key under the plugin's label for it, each value formatted by its kind.

The plugin answers JSON for the API; the console must not show that JSON as it is. A key
is looked up in the plugin's ``ConsolePages.labels`` (for the reader's language), else it
is spelled out from the key (``reminders_sent`` → "Reminders sent") and looked up again
(the core's catalog words the contact log's ``channel``). ``ConsolePages.kinds``
says how a value reads: ``money`` (integer fen → ``¥1,234.50``), ``ratio`` (0.125 →
``12.5%``) or ``id`` (never shown). A string that reads as a uuid is never shown either, so
an undeclared id cannot leak onto the page; other strings (state codes) go through the
plugin's labels too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pitstop.console import i18n
from pitstop.console.i18n import N_

MONEY, RATIO, ID = "money", "ratio", "id"
KINDS = frozenset({MONEY, RATIO, ID})
CORE_KEYS = (N_("Last contacts"), N_("Contacts"), N_("At"), N_("Channel"), N_("Purpose"),
             N_("Template"), N_("Manual"), N_("Outcome"))  # fmt: skip
"""The core's own section (the contact log's latest entries), its title and keys read
through the catalog."""
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def spelled_out(key: str) -> str:
    """The fallback label of a key without one: ``win_back_rate`` → "Win back rate"."""
    return key.replace("_", " ").strip().capitalize() or key


def _is_id(value: Any) -> bool:
    return isinstance(value, uuid.UUID) or (isinstance(value, str) and bool(_UUID.match(value)))


class Figures:
    """Formats one plugin's figures for one reader."""

    def __init__(
        self, gettext: Callable[[str], str], kinds: Mapping[str, str], currency: str = "CNY"
    ) -> None:
        self.gettext, self.kinds, self.currency = gettext, kinds, currency

    def label(self, key: str) -> str:
        """The plugin's label for the key, else the catalog's for it spelled out."""
        worded = self.gettext(key)
        return self.gettext(spelled_out(key)) if worded == key else worded

    def __call__(self, data: Any, key: str | None = None) -> Any:
        """``data`` with labelled keys and worded values; ids dropped."""
        if isinstance(data, Mapping):
            return {
                self.label(str(k)): self(v, str(k))
                for k, v in data.items()
                if self.kinds.get(str(k)) != ID and not _is_id(v)
            }
        if isinstance(data, list | tuple):
            return [self(item, key) for item in data if not _is_id(item)]
        kind = self.kinds.get(key or "")
        if data is None or isinstance(data, bool):
            return data
        if kind == MONEY and isinstance(data, int | float):
            return i18n.money(int(data), self.currency)
        if kind == RATIO and isinstance(data, int | float):
            return f"{data * 100:.1f}%"
        if isinstance(data, str):
            return self.gettext(data)
        return data
