"""The tenant's SMS settings: the Aliyun account, the sign name and a template code per
Pitstop template. ``access_key_secret`` is write-only (the API shows ``********``) and is
sealed at rest with the tenant's key."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Url = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://\S+$")]
TemplateCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^SMS_\d+$")]
TemplateName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]


class SmsSettings(msgspec.Struct, forbid_unknown_fields=True):
    provider: Literal["aliyun"] = "aliyun"
    """Aliyun Short Message Service (dysmsapi, API version 2017-05-25)."""
    access_key_id: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9]*$")] = ""
    access_key_secret: Annotated[str, msgspec.Meta(max_length=128)] = ""
    """Never returned by the API; sealed at rest with the tenant's key."""
    sign_name: Annotated[str, msgspec.Meta(max_length=24)] = ""
    """The approved signature shown as 【...】 before every text, e.g. 驰途汽修."""
    templates: dict[TemplateName, TemplateCode] = {}
    """Pitstop template name → the provider's approved template code (``SMS_123456``):
    a carrier only passes texts matching an approved template, so the wording lives there
    and Pitstop sends the template's fields."""
    endpoint: Url = "https://dysmsapi.aliyuncs.com/"
    region_id: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[a-z0-9-]+$")] = "cn-hangzhou"
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=30)] = 10.0
