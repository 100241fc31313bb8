"""A customer channel plugin that keeps what the worker hands it, for a test to read.

Messaging tests need "the tenant's other channel" (an SMS gateway, say) beside the one
under test, or a channel whose messages carry what the test looks for (an unsubscribe
token). One definition serves them all; each test names its own.
"""

from __future__ import annotations

from typing import Any

from pitstop.sdk import Outbound, PluginInfo, Receipt, hookimpl


class CaptureChannel:
    """Reaches customers on ``reaches``; keeps each message in :attr:`sent`."""

    capabilities = frozenset({"customer"})
    settings = None
    broadcast = False

    def __init__(self, name: str, reaches: str = "sms") -> None:
        self.name, self.reaches = name, reaches
        self.sent: list[Outbound] = []

    async def send(self, message: Outbound) -> Receipt:
        self.sent.append(message)
        return Receipt(f"{self.name}:{message.message_id}")


class CapturePlugin:
    """A plugin named ``name`` whose only capability is its :class:`CaptureChannel`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.channel = CaptureChannel(name)

    @hookimpl
    def plugin_info(self) -> PluginInfo:
        return PluginInfo(name=self.name, version="0.1.0", title=self.name.title(), sdk=">=1.2,<2")

    @hookimpl
    def channels(self) -> list[Any]:
        return [self.channel]
