"""The ``wecom`` channel: staff notices posted by a 企业微信 (WeCom) group robot.

A group robot is a webhook bound to one group chat: each staff notice (a complaint
assigned, an SLA warning) is posted there as text. It is a **broadcast** channel - the
whole group reads it - so the core never sends a staff member's secret through it (an
invite or reset token goes by a private channel, or is shown by the API). Customer
messages by WeCom (external contacts) are not part of this adapter. Written against
``pitstop.sdk`` only; see docs/plugins/wecom.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from pitstop.sdk import Channel, PluginInfo, hookimpl

from .channel import WecomRobotChannel
from .settings import WecomSettings


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="wecom",
        version="0.1.0",
        title="企业微信 WeCom group robot",
        sdk=">=1.3,<2",
        settings=WecomSettings,
        description="Posts staff notices to a WeCom group chat through its group robot.",
    )


@hookimpl
def channels() -> Sequence[Channel]:
    return [WecomRobotChannel()]
