"""The console's language: gettext catalogs read with Babel, Simplified Chinese by default.

Source strings are English and are the English "translation"; ``locale/zh_CN`` holds the
Chinese. The ``.po`` file is read by the kernel's one reader (``pitstop.wording.
po_catalog``, which reads the services' error messages too; no compiled ``.mo`` in the
repository), and a test fails on any string of a template or page that the catalog does
not translate. The choice of language is a cookie the language switch sets; for a
signed-in person the switch also keeps it with them (``users.language``), and sign-in sets
the cookie from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, format_decimal

from pitstop import wording

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = {"zh_CN": "中文", "en": "English"}
LANGUAGE_COOKIE = "pitstop_lang"


def N_(message: str) -> str:
    """Marks a string for the catalog where it is defined; templates translate it later."""
    return message


def catalog(language: str) -> Mapping[str, str]:
    """msgid → translation for ``language``; English (the source language) is empty. Read
    by the kernel's one ``.po`` reader (:func:`pitstop.wording.po_catalog`)."""
    if language not in LANGUAGES:
        return {}
    return wording.po_catalog(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", language)


def language_of(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def translator(language: str) -> Callable[[str], str]:
    table = catalog(language)

    def gettext(message: str) -> str:
        return table.get(message, message)

    return gettext


def plural_translator(language: str) -> Callable[[str, str, int], str]:
    """Chinese has one form; English chooses by the count."""
    gettext = translator(language)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    return ngettext


def money(fen: int | None, currency: str = "CNY") -> str:
    """Integer fen as the tenant's currency, grouped, two decimals: ``¥1,234.50``."""
    if fen is None:
        return ""
    return format_currency(Decimal(fen) / 100, currency, locale="zh_CN")


def quantity(value: float | int | Decimal) -> str:
    return format_decimal(value, locale="en", format="#,##0.###")


def local_time(value: dt.datetime | str | None, timezone: str, *, date_only: bool = False) -> str:
    """An instant in the tenant's time zone (the database holds UTC)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(ZoneInfo(timezone))
    return local.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


def local_day_bounds(now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Today in the tenant's zone, as a UTC half-open interval (for "today's orders")."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(now.astimezone(zone).date(), dt.time(), zone)
    return start.astimezone(dt.UTC), (start + dt.timedelta(days=1)).astimezone(dt.UTC)
