"""The services' error messages in the reader's language (``pitstop.wording``): every message
a service on the console's paths raises has its Chinese, a message with a value in it is
worded with the value kept, and a problem document changes only its human parts."""

from __future__ import annotations

import pytest

from pitstop import wording
from tests.support.refusals import raised as _raised

CONSOLE_SERVICES = (
    "pitstop.access.controllers",
    "pitstop.access.search_limits",
    "pitstop.crm.customers",
    "pitstop.crm.discounts",
    "pitstop.crm.orders",
    "pitstop.crm.privacy",
    "pitstop.crm.validators",
    "pitstop.crm.vehicles",
    "pitstop.identity.api_keys",
    "pitstop.identity.authenticate",
    "pitstop.identity.edge",
    "pitstop.identity.invites",
    "pitstop.identity.login",
    "pitstop.identity.refresh",
    "pitstop.identity.roles",
    "pitstop.identity.staff_admin",
    "pitstop.insights.kpis",
    "pitstop.insights.series",
    "pitstop.plugin_host.enablement",
    "pitstop.plugin_host.routing",
    "pitstop.tenancy.hours",
    "pitstop.tenancy.periods",
    "pitstop.tenancy.stores",
)
"""The services the console's pages call (add one here when a page starts calling it)."""


@pytest.mark.parametrize("module_name", CONSOLE_SERVICES)
def test_every_message_of_a_console_service_reads_in_chinese(module_name: str) -> None:
    # Given every message the service refuses with
    messages = set(_raised(module_name))
    assert messages, f"{module_name} refuses with no message the scan can read"
    # When each is worded in Chinese, Then none is left in English
    english = sorted(m for m in messages if wording.worded(m, "zh_CN") == m)
    assert english == [], f"add to platform/pitstop/locale/zh_CN/LC_MESSAGES/errors.po: {english}"


def test_a_message_with_a_value_keeps_the_value_and_words_a_known_one() -> None:
    assert wording.worded("cannot complete a service order that is refunded", "zh_CN") == (
        "不能完成状态为“已退款”的工单"
    )
    assert wording.worded("store SH009 exists", "zh_CN") == "门店 SH009 已存在"
    assert wording.worded("phone: not a phone number", "zh_CN") == "phone：不是手机号码"
    assert wording.worded("Expected `int` >= 1", "zh_CN") == "不能小于 1"
    assert (
        wording.worded("no such store", "en")
        == wording.worded("no such store", "fr")
        == ("no such store")
    )


def test_a_problem_document_changes_only_its_human_parts() -> None:
    # Given a 422 naming two fields, with a code and an extra
    body = {
        "type": "about:blank", "title": "Invalid input", "status": 422,
        "detail": "phone: not a phone number; name: must not be blank",
        "code": "validation_failed", "allowed": ["open"],
        "errors": [{"field": "phone", "message": "not a phone number"},
                   {"field": "name", "message": "must not be blank"}],
    }  # fmt: skip
    # When it is worded in Chinese
    shown = wording.localized(body, "zh_CN")
    # Then the title, the detail and each message read in Chinese; the rest is unchanged
    assert shown["title"] == "输入有误"
    assert shown["detail"] == "phone: 不是手机号码; name: 不能为空"
    assert [e["message"] for e in shown["errors"]] == ["不是手机号码", "不能为空"]
    unchanged = ("type", "status", "code", "allowed")
    assert {k: shown[k] for k in unchanged} == {k: body[k] for k in unchanged}
    assert [e["field"] for e in shown["errors"]] == ["phone", "name"]
    assert wording.localized(body, "en") is body


def test_the_reader_is_asked_their_language_then_the_request() -> None:
    class Person:
        language = "zh_CN"

    def scope(user: object, header: bytes = b"") -> dict[str, object]:
        return {"user": user, "headers": [(b"accept-language", header)] if header else []}

    assert wording.reader_language(scope(Person(), b"en")) == "zh_CN"
    assert wording.reader_language(scope(None, b"zh-CN,zh;q=0.9,en;q=0.8")) == "zh_CN"
    assert wording.reader_language(scope(None, b"en-GB,zh;q=0.5")) == "en"
    assert wording.reader_language(scope(None, b"fr, zh;q=0")) == "en"
    assert wording.reader_language(scope(None)) == "en"
