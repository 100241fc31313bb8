"""The tenant's SMS settings: the provider, its account, the sign name and a template per
Pitstop template. ``access_key_secret`` (Aliyun's AccessKey secret, or Tencent Cloud's
SecretKey) is write-only (the API shows ``********``) and is sealed at rest with the
tenant's key."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Url = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://\S+$")]
TemplateCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^SMS_\d+$")]
TemplateName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]


TencentTemplateId = Annotated[str, msgspec.Meta(min_length=1, max_length=12, pattern=r"^\d+$")]


class TencentTemplate(msgspec.Struct, forbid_unknown_fields=True):
    """A Tencent Cloud template: its id and the Pitstop fields filling ``{1}``, ``{2}``..."""

    id: TencentTemplateId
    params: Annotated[list[TemplateName], msgspec.Meta(max_length=10)] = []
    """Tencent's variables are positional: ``["customer_name", "due_date"]`` fills ``{1}``
    with the customer's name and ``{2}`` with the due date."""


class TencentAccount(msgspec.Struct, forbid_unknown_fields=True):
    """What Tencent Cloud SMS needs beyond the key pair (``provider = "tencent"``)."""

    sdk_app_id: Annotated[str, msgspec.Meta(max_length=20, pattern=r"^\d*$")] = ""
    """The SMS application's ``SmsSdkAppId`` (``1400...``)."""
    region: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[a-z0-9-]+$")] = "ap-guangzhou"
    endpoint: Url = "https://sms.tencentcloudapi.com/"
    templates: dict[TemplateName, TencentTemplate] = {}


class SmsSettings(msgspec.Struct, forbid_unknown_fields=True):
    provider: Literal["aliyun", "tencent"] = "aliyun"
    """Aliyun Short Message Service (dysmsapi, API version 2017-05-25) or Tencent Cloud SMS
    (API 3.0, version 2021-01-11)."""
    access_key_id: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9]*$")] = ""
    """Aliyun's AccessKey ID, or Tencent Cloud's SecretId."""
    access_key_secret: Annotated[str, msgspec.Meta(max_length=128)] = ""
    """Aliyun's AccessKey secret, or Tencent Cloud's SecretKey. Never returned by the API;
    sealed at rest with the tenant's key."""
    sign_name: Annotated[str, msgspec.Meta(max_length=24)] = ""
    """The approved signature shown as 【...】 before every text, e.g. 驰途汽修."""
    templates: dict[TemplateName, TemplateCode] = {}
    """Aliyun: Pitstop template name → the approved template code (``SMS_123456``):
    a carrier only passes texts matching an approved template, so the wording lives there
    and Pitstop sends the template's fields."""
    endpoint: Url = "https://dysmsapi.aliyuncs.com/"
    region_id: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[a-z0-9-]+$")] = "cn-hangzhou"
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=30)] = 10.0
    pull_reports: bool = False
    """Ask for delivery reports every 15 minutes (Aliyun ``QuerySendDetails``, Tencent
    ``PullSmsSendStatusByPhoneNumber``), for a tenant that cannot receive the push."""
    tencent: TencentAccount = msgspec.field(default_factory=TencentAccount)
    """Tencent Cloud's application, region, endpoint and templates."""
