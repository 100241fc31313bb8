"""The first-party plugins' own refusals in the reader's language (``PluginInfo.messages``,
SDK 1.5): every message a plugin's modules refuse with has its Chinese, worded as the
host words a problem document of the plugin's routes (its own messages, then the
kernel's catalog), so a plugin's API follows the reader's language like the core's."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import uuid
from types import ModuleType

import pytest

from pitstop import wording
from tests.support.refusals import raised

STORE = uuid.UUID("00000000-0000-4000-8000-000000000001")
FIRST_PARTY = ("complaints", "membership", "referrals", "retention", "tradein")


def _modules(package: ModuleType) -> list[str]:
    return [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]


@pytest.mark.parametrize("plugin", FIRST_PARTY)
def test_every_refusal_of_a_first_party_plugin_reads_in_chinese(plugin: str) -> None:
    # Given the plugin's declared messages and every message its modules refuse with
    package = importlib.import_module(f"pitstop_{plugin}")
    own = wording.OwnMessages(package.plugin_info().messages)
    messages = {m for name in _modules(package) for m in raised(name)}
    assert messages, f"pitstop_{plugin} refuses with no message the scan can read"
    # When each is worded in Chinese as its routes' problem documents are
    english = sorted(m for m in messages if wording.worded(m, "zh_CN", own) == m)
    # Then none is left in English
    assert english == [], f"add to plugins/pitstop_{plugin}/wording.py: {english}"


INSTALLED = (*FIRST_PARTY, "sms", "webhook", "wecom")


@pytest.mark.parametrize("plugin", INSTALLED)
def test_a_plugins_name_and_description_read_in_chinese(plugin: str) -> None:
    # Given the plugin's name and description as it declares them
    info = importlib.import_module(f"pitstop_{plugin}").plugin_info()
    own = wording.OwnMessages(info.messages)
    # Then both are English at the source and worded in Chinese by the plugin itself
    for text in (info.title, info.description):
        assert text.isascii(), f"{plugin}: {text!r} is not the English source"
        chinese = own.word(text, "zh_CN")
        assert chinese and not chinese.isascii(), f"{plugin}: no Chinese for {text!r}"


def test_a_plugin_message_with_a_value_keeps_it_and_words_a_known_one() -> None:
    # Given a plugin's messages, one with a value in it and the word for that value
    messages = {
        "the offer is %(status)s": "报价状态为“%(status)s”",
        "expired": "已过期",
        "only %(n)s points": "只有 %(n)s 积分",
    }
    own = wording.OwnMessages({"zh_CN": messages})
    # Then the value is worded when the plugin knows it, kept when it is a number
    assert wording.worded("the offer is expired", "zh_CN", own) == "报价状态为“已过期”"
    assert wording.worded("only 120 points", "zh_CN", own) == "只有 120 积分"
    # And the kernel's catalog still words what the plugin does not, English stays English
    assert wording.worded("no such store", "zh_CN", own) == wording.worded("no such store", "zh_CN")
    assert wording.worded("the offer is expired", "en", own) == "the offer is expired"


def test_a_voucher_templates_rules_built_at_run_time_read_in_chinese() -> None:
    # Given a voucher template that breaks every rule between its fields at once
    from pitstop_membership import plugin_info
    from pitstop_membership.voucher_schemas import TemplateIn, template_errors

    broken = TemplateIn(
        code="X1", title="x", kind="percent", amount=100, categories=["wash", "wash"],
        valid_until=dt.date(2026, 1, 1), stores=[STORE, STORE],
    )  # fmt: skip
    errors = template_errors(broken, dt.date(2026, 6, 1))
    assert {e["field"] for e in errors} == {
        "percent", "amount", "categories", "valid_until", "stores"
    }  # fmt: skip
    # When each message is worded in Chinese as the template route's problem document is
    own = wording.OwnMessages(plugin_info().messages)
    worded = {e["message"]: wording.worded(e["message"], "zh_CN", own) for e in errors}
    # Then none is left in English, and a value in one is worded or kept
    assert [m for m, chinese in worded.items() if chinese == m] == []
    assert worded["required for a percent voucher"] == "折扣券必须填写"
    unknown = next(m for m in worded if m.startswith("unknown categories"))
    assert worded[unknown].startswith("未知的类别：wash；可用：maintenance, repair")
