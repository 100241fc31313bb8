"""The console's language and formats, without an app: the catalog, money, time, cookies."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir

from pitstop.console import i18n
from pitstop.console.kpi_board import interval_for
from pitstop.console.session import _cookies, safe_next
from pitstop.identity.refresh import IssuedSession
from pitstop.settings import Settings
from pitstop.tenancy.periods import Period

CONSOLE = Path(i18n.__file__).parent


def _source_strings() -> set[str]:
    """Every string the console's templates translate or its code marks with ``N_``."""
    found = extract_from_dir(
        str(CONSOLE),
        method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {m[0] if isinstance(m, tuple) else m for _, _, m, _, _ in found}


def test_every_console_string_has_a_chinese_translation() -> None:
    # Given every string of the templates and pages
    strings = _source_strings()
    assert len(strings) > 50  # the extraction sees the templates, not nothing
    # When the Chinese catalog is read, Then none is missing or left untranslated
    missing = sorted(s for s in strings if not i18n.catalog("zh_CN").get(s))
    assert missing == [], f"add to locale/zh_CN/LC_MESSAGES/messages.po: {missing}"


def test_chinese_is_the_default_and_english_the_source() -> None:
    assert i18n.language_of(None) == "zh_CN" and i18n.language_of("fr") == "zh_CN"
    assert i18n.translator("zh_CN")("Customers") == "客户"
    assert i18n.translator("en")("Customers") == "Customers"


def test_money_is_yuan_grouped_with_two_decimals() -> None:
    assert i18n.money(123450) == "¥1,234.50"
    assert i18n.money(5) == "¥0.05"
    assert i18n.money(None) == ""


def test_times_are_shown_in_the_tenants_zone() -> None:
    # Given 23:30 UTC, When shown for Shanghai (UTC+8), Then it is 07:30 the next day
    instant = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert i18n.local_time(instant, "Asia/Shanghai") == "2026-12-01 07:30"
    # And "today" for the worklist starts at local midnight
    start, end = i18n.local_day_bounds(instant, "Asia/Shanghai")
    assert start == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)


def test_outside_embedded_mode_the_session_cookies_are_secure() -> None:
    # Given a deployment with Redis (not embedded)
    settings = Settings.from_env(
        {"PITSTOP_REDIS_URL": "redis://localhost:6379/0", "PITSTOP_SECRET_KEY": "x" * 48}
    )
    # When a session is opened, Then both cookies are Secure, HttpOnly and SameSite=Lax
    for cookie in _cookies(settings, IssuedSession("a", 60, "psr_b", 600)):
        assert cookie.secure and cookie.httponly and cookie.samesite == "lax"


def test_a_sign_in_link_only_returns_to_the_console() -> None:
    assert safe_next("/console/search?q=1") == "/console/search?q=1"
    for elsewhere in ("https://evil.example/", "//evil.example/console/", "/api/v1/x", None):
        assert safe_next(elsewhere) == "/console/"


def test_the_chart_interval_keeps_within_the_series_limit() -> None:
    def days(n: int) -> Any:
        first = dt.date(2026, 1, 1)
        return interval_for(Period(first, first + dt.timedelta(days=n - 1)))

    assert (days(31), days(62), days(63), days(728), days(729)) == (
        "day", "day", "week", "week", "month",
    )  # fmt: skip


def test_a_long_line_is_drawn_without_dots_and_a_short_one_with_them() -> None:
    # Given a week's revenue by day and a year's by week
    from pitstop.console import charts

    def drawn(points: int) -> str:
        labels = [str(n) for n in range(points)]
        uri = charts.line("营收", labels, [float(n) for n in range(points)])
        return base64.b64decode(uri.split(",", 1)[1]).decode()

    # Then the week's points are marked, the year's line is drawn without its 53 dots
    assert 'class="dot' in drawn(7) and 'class="dot' not in drawn(53)
    assert "<polyline" in drawn(53) or "<path" in drawn(53)


def test_the_console_words_a_service_message_as_the_api_does() -> None:
    # Given the console's wording, which adds its own forms' messages to the kernel's
    from pitstop.console.wording import worded

    # Then a service's message reads in Chinese, and a form's own too
    assert worded("no such store", "zh_CN") == "没有这个门店"
    assert worded("must be an amount such as 120 or 120.50", "zh_CN") == (
        "请输入金额，如 120 或 120.50"
    )
    # And a decoding message is worded by its kind, never shown with its pattern
    assert worded("Expected `str` matching regex '^[a-z]+$'", "zh_CN") == "格式不正确"
    assert worded("Expected `str` of length <= 63", "zh_CN") == "太长（最多 63 个字符）"
    assert worded("Expected `int` <= 10", "zh_CN") == "不能大于 10"  # its bound kept
    assert worded("something new", "zh_CN") == "something new"
    assert worded("no such store", "en") == "no such store"
