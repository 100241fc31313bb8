"""Tencent Cloud SMS as the ``sms`` channel's second provider, against a local fake that
verifies TC3-HMAC-SHA256 itself: what is sent, how codes map to retry or failure, and that
a Tencent tenant's tries are claimed (Tencent has no idempotency key)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from pitstop.sdk import ChannelFailed, Outbound
from pitstop_sms.channel import SmsChannel
from pitstop_sms.settings import SmsSettings
from tests.plugins.sms.fake_tencent import APP_ID, SECRET_ID, SECRET_KEY, fake_tencent

TEMPLATES = {
    "points_expiring": {"id": "2001001", "params": ["customer_name", "points", "expires_on"]}
}


def _settings(url: str, **changes: Any) -> SmsSettings:
    fields: dict[str, Any] = {
        "provider": "tencent",
        "access_key_id": SECRET_ID,
        "access_key_secret": SECRET_KEY,
        "sign_name": "驰途汽修",
        "tencent": {"sdk_app_id": APP_ID, "endpoint": url, "templates": TEMPLATES},
    }
    return msgspec.convert({**fields, **changes}, SmsSettings)


def _outbound(settings: SmsSettings, *, template: str = "points_expiring") -> Outbound:
    return Outbound(
        message_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        purpose="service",
        template=template,
        to="+8613900000001",
        body="韩梅梅您好，您有120积分将于2026-04-01到期",
        recipient_name="韩梅梅",
        settings=settings,
        data={"points": 120, "expires_on": "2026-04-01"},
        attempt=2,
    )


async def test_a_text_goes_as_one_signed_send_sms_with_positional_fields() -> None:
    with fake_tencent() as provider:
        message = _outbound(_settings(provider.url))
        # When the channel sends for a tenant on Tencent Cloud
        receipt = await SmsChannel().send(message)
    # Then the provider accepted one request whose TC3 signature it verified itself
    [request] = provider.accepted
    assert receipt.provider_id.startswith("2433:") and not receipt.delivered
    # And it names the number in E.164, the app, sign name, template and the fields in order
    assert request["PhoneNumberSet"] == ["+8613900000001"]
    assert (request["SmsSdkAppId"], request["SignName"], request["TemplateId"]) == (
        APP_ID,
        "驰途汽修",
        "2001001",
    )
    assert request["TemplateParamSet"] == ["韩梅梅", "120", "2026-04-01"]
    assert request["SessionContext"] == f"{message.message_id}:2"


async def test_a_wrong_key_is_refused_by_the_signature_check_and_fails_for_good() -> None:
    with fake_tencent() as provider:
        message = _outbound(_settings(provider.url, access_key_secret="not-the-key"))
        with pytest.raises(ChannelFailed) as failed:
            await SmsChannel().send(message)
    assert provider.refused == ["AuthFailure.SignatureFailure"] and not provider.accepted
    assert failed.value.retry is False and "13900000001" not in str(failed.value)


@pytest.mark.parametrize(
    ("code", "retry"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", True),
        ("InternalError.Timeout", True),
        ("RequestLimitExceeded", True),
        ("HTTP503", True),
        ("InvalidParameterValue.IncorrectPhoneNumber", False),
        ("FailedOperation.TemplateIncorrectOrUnapproved", False),
        ("LimitExceeded.PhoneNumberDailyLimit", False),
    ],
)
async def test_provider_codes_map_to_retry_or_failure(code: str, retry: bool) -> None:
    with fake_tencent(code) as provider, pytest.raises(ChannelFailed) as failed:
        await SmsChannel().send(_outbound(_settings(provider.url)))
    assert failed.value.retry is retry


async def test_an_unmapped_template_or_a_missing_field_fails_without_calling() -> None:
    with fake_tencent() as provider:
        settings = _settings(provider.url)
        # Given a template without a Tencent id, and one whose fields the message lacks
        short = {"points_expiring": {"id": "2001001", "params": ["points", "store_name"]}}
        lacking = _settings(
            provider.url,
            tencent={"sdk_app_id": APP_ID, "endpoint": provider.url, "templates": short},
        )
        for message in (_outbound(settings, template="service_due"), _outbound(lacking)):
            with pytest.raises(ChannelFailed) as failed:
                await SmsChannel().send(message)
            assert failed.value.retry is False
    # Then nothing reached the provider
    assert provider.accepted == [] and provider.refused == []


def test_only_a_tencent_tenants_tries_are_claimed() -> None:
    channel = SmsChannel()
    assert channel.idempotent(_settings("https://sms.example/")) is False
    assert channel.idempotent(SmsSettings()) is True  # Aliyun: SignatureNonce guards
