"""The ``webhook`` channel: messages as signed HTTP POSTs, so a tenant can plug in any gateway.

Each message is one JSON POST to the tenant's URL, signed with HMAC-SHA256 over
``<timestamp>.<body>`` with the tenant's secret, in ``X-Pitstop-Signature:
t=<unix seconds>,v1=<hex>``; ``X-Pitstop-Message-Id`` lets the receiver drop a repeat.
A receiver verifies with :func:`pitstop_webhook.signing.verify` (or the few lines in
docs/messaging.md) and refuses timestamps outside its replay window. Written against
``pitstop.sdk`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

from pitstop.sdk import Channel, PluginInfo, hookimpl

from .channel import WebhookChannel
from .settings import WebhookSettings
from .wording import DESCRIPTION, MESSAGES, TITLE


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="webhook",
        version="0.1.0",
        title=TITLE,
        messages=MESSAGES,
        sdk=">=1.5,<2",
        settings=WebhookSettings,
        description=DESCRIPTION,
    )


@hookimpl
def channels() -> Sequence[Channel]:
    return [WebhookChannel()]
