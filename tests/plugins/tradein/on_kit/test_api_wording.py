"""The trade-in API's refusals in the reader's language (``PluginInfo.messages``, SDK 1.5):
the human parts of a problem document follow ``Accept-Language`` like the core's, a value
in a message worded with it; the code and the field never change."""

from __future__ import annotations

from tests.plugins.tradein.on_kit.conftest import Yard

CHINESE = {"Accept-Language": "zh-CN,en;q=0.5"}


async def test_a_plugin_refusal_reads_in_the_readers_language(yard: Yard) -> None:
    # Given a lead not yet appraised (an offer is a move it cannot make)
    lead = await yard.lead()
    advisor = yard.client("service_advisor", "SH001")
    url = f"/api/v1/tradein/leads/{lead['id']}/offers"
    # When an offer is made on it by a reader asking for Chinese, and by one who does not
    chinese = await advisor.post(url, json={"amount": 100_000}, headers=CHINESE)
    english = await advisor.post(url, json={"amount": 100_000})
    # Then the same refusal reads in Chinese for the first, in English for the second
    assert chinese.status_code == english.status_code == 409
    assert chinese.json()["code"] == english.json()["code"] == "illegal_stage_move"
    assert chinese.headers["content-language"] == "zh-CN"
    # And the stages in it are worded too
    assert (
        chinese.json()["detail"] == "处于“线索”阶段的线索不能转到“已报价”；可转到：已评估, 已流失"
    )
    assert english.json()["detail"] == (
        "a lead at stage lead cannot move to offered; allowed: appraised, lost"
    )


async def test_a_plugin_field_error_keeps_its_field_and_words_its_message(yard: Yard) -> None:
    # When a manager asking for Chinese lists the leads of a stage that does not exist
    response = await yard.client("store_manager", "SH001").get(
        "/api/v1/tradein/leads", params={"stage": "haggling"}, headers=CHINESE
    )
    # Then the field is named as ever, its message is Chinese and names the stages in Chinese
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "stage"
    assert error["message"].startswith("须为以下之一：") and "已评估, " in error["message"]
