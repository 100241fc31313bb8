"""The tenant's webhook settings; ``secret`` is write-only through the plugins API."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Url = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^(https?://\S+)?$")]


class WebhookSettings(msgspec.Struct, forbid_unknown_fields=True):
    url: Url = ""
    """Where to POST; empty: the channel is on but not set up, and sends fail for good."""
    secret: Annotated[str, msgspec.Meta(max_length=200)] = ""
    """The HMAC key the receiver shares; never returned by the API."""
    reaches: Literal["sms", "wecom", "email", "app"] = "sms"
    """The medium the gateway delivers by: the consent a customer gave that counts."""
    attempts: Annotated[int, msgspec.Meta(ge=1, le=10)] = 3
    """Tries per send before the worker's own retries take over."""
    backoff_ms: Annotated[int, msgspec.Meta(ge=0, le=60_000)] = 500
    """The wait before the second try; doubled before each later one."""
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=30)] = 10.0
