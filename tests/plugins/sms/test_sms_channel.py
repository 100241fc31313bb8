"""The Aliyun SMS adapter against a local fake dysmsapi that checks the signature itself:
what is sent, how the provider's codes map to retry or failure, and the repeat refused."""

from __future__ import annotations

import json
import uuid

import pytest

from pitstop.sdk import ChannelFailed, Outbound
from pitstop_sms.channel import SmsChannel, provider_number
from pitstop_sms.settings import SmsSettings
from pitstop_sms.signing import sign, verify
from tests.plugins.sms.fake_aliyun import KEY_ID, KEY_SECRET, expected_signature, fake_aliyun


def _settings(url: str, **changes: object) -> SmsSettings:
    fields: dict[str, object] = {
        "access_key_id": KEY_ID,
        "access_key_secret": KEY_SECRET,
        "sign_name": "驰途汽修",
        "templates": {"points_expiring": "SMS_460100001"},
        "endpoint": url,
    }
    return SmsSettings(**{**fields, **changes})  # type: ignore[arg-type]


def _outbound(
    settings: SmsSettings, *, attempt: int = 1, template: str = "points_expiring"
) -> Outbound:
    return Outbound(
        message_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        purpose="service",
        template=template,
        to="+8613900000001",
        body="您有120积分将于2026-04-01到期",
        recipient_name="韩梅梅",
        settings=settings,
        data={"points": 120, "expires_on": "2026-04-01"},
        attempt=attempt,
    )


async def test_a_text_goes_as_one_signed_send_sms_with_the_template_code_and_fields() -> None:
    with fake_aliyun() as provider:
        message = _outbound(_settings(provider.url))
        # When the channel sends
        receipt = await SmsChannel().send(message)
    # Then the provider accepted one request whose signature it verified itself
    [request] = provider.accepted
    assert receipt.provider_id.startswith("biz-") and not receipt.delivered
    # And it names the mainland number bare, the sign name, the code and the fields
    assert request["PhoneNumbers"] == "13900000001" and request["SignName"] == "驰途汽修"
    assert request["TemplateCode"] == "SMS_460100001"
    assert request["OutId"] == str(message.message_id)
    assert json.loads(request["TemplateParam"]) == {
        "customer_name": "韩梅梅", "points": "120", "expires_on": "2026-04-01"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "retry"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", True),  # flow control: later may pass
        ("HTTP503", True),  # the provider's own trouble
        ("isv.MOBILE_NUMBER_ILLEGAL", False),  # a bad number stays bad
        ("isv.SMS_TEMPLATE_ILLEGAL", False),
        ("isv.AMOUNT_NOT_ENOUGH", False),
    ],
)
async def test_provider_codes_map_to_retry_or_failure(code: str, retry: bool) -> None:
    with fake_aliyun(code) as provider, pytest.raises(ChannelFailed) as failed:
        await SmsChannel().send(_outbound(_settings(provider.url)))
    assert failed.value.retry is retry
    # And the failure names neither the number nor the body
    assert "13900000001" not in str(failed.value) and "积分" not in str(failed.value)


async def test_a_wrong_secret_is_refused_by_the_signature_check_and_not_retried() -> None:
    with fake_aliyun() as provider, pytest.raises(ChannelFailed) as failed:
        await SmsChannel().send(_outbound(_settings(provider.url, access_key_secret="x")))
    assert not failed.value.retry and provider.accepted == []
    assert "SignatureDoesNotMatch" in str(failed.value)


async def test_unset_credentials_or_an_unmapped_template_fail_without_a_call() -> None:
    with fake_aliyun() as provider:
        for settings, template in [
            (_settings(provider.url, access_key_secret=""), "points_expiring"),
            (_settings(provider.url), "service_due"),
        ]:
            with pytest.raises(ChannelFailed) as failed:
                await SmsChannel().send(_outbound(settings, template=template))
            assert not failed.value.retry
        assert provider.nonces == set()


async def test_the_same_attempt_sent_twice_reaches_the_customer_once() -> None:
    # Given a message the provider accepted, whose worker died before recording it
    with fake_aliyun() as provider:
        message = _outbound(_settings(provider.url), attempt=1)
        first = await SmsChannel().send(message)
        # When the redelivered copy sends the same attempt again
        again = await SmsChannel().send(message)
        # Then the provider refused the repeated nonce: one text, and the repeat is "sent"
        assert len(provider.accepted) == 1
        assert again.provider_id.startswith("aliyun:unconfirmed:") and first != again
        # But a real retry (the next attempt) is a new request
        await SmsChannel().send(_outbound(message.settings, attempt=2))
        assert len(provider.accepted) == 2


def test_signing_follows_the_documented_recipe_and_verification_refuses_tampering() -> None:
    params = {"Action": "SendSms", "SignName": "驰途 汽修*~", "TemplateParam": '{"a":"1+2"}'}
    signature = sign("POST", params, KEY_SECRET)
    assert signature == expected_signature(params, KEY_SECRET)
    assert verify("POST", {**params, "Signature": signature}, KEY_SECRET)
    assert not verify("POST", {**params, "SignName": "x", "Signature": signature}, KEY_SECRET)


def test_numbers_are_spelt_as_the_provider_wants() -> None:
    assert provider_number("+8613800138000") == "13800138000"
    assert provider_number("+85291234567") == "0085291234567"
