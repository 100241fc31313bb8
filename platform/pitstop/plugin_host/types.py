"""The small value types of the plugin contract (re-exported by :mod:`pitstop.sdk`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from pitstop.access.permissions import Permission
from pitstop.crm.extensions import Section as Section  # re-exported: the SDK names it
from pitstop.events.payloads import CORE_EVENTS
from pitstop.events.rewards import CONVENTION_EVENTS
from pitstop.events.types import Event, EventType

if TYPE_CHECKING:
    from pitstop.plugin_host.context import PluginContext

SDK_VERSION = "1.7"
"""Bumped in its major part when a change would break a plugin written for the last one,
in its minor part when the SDK grows (docs/sdk-changelog.md lists what each one changed)."""


class NoSettings(msgspec.Struct, forbid_unknown_fields=True):
    """The settings schema of a plugin that has none."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    title: str
    sdk: str = ">=1.0,<2"
    """A PEP 440 specifier set the host's :data:`SDK_VERSION` must satisfy."""
    settings: type[msgspec.Struct] = NoSettings
    permissions: tuple[Permission, ...] = ()
    depends_on: tuple[str, ...] = ()
    description: str = ""
    events: tuple[EventType, ...] = ()
    """The event types the plugin emits, each with its payload Struct (SDK 1.1):
    ``ctx.emit`` checks payloads against them, ``GET /api/v1/events/types`` publishes them."""
    messages: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """The plugin's refusals in other languages (SDK 1.5): ``{"zh_CN": {English: Chinese}}``,
    a value in a message as ``%(name)s`` on both sides; its API's problem documents are
    worded with them in the reader's language (``pitstop.wording``)."""

    def __post_init__(self) -> None:
        names = [e.name for e in self.events]
        if len(set(names)) != len(names):
            raise ValueError(f"plugin {self.name}: PluginInfo.events names a type twice")
        core = sorted(set(names) & CORE_EVENTS.keys())
        if core:
            raise ValueError(f"plugin {self.name}: {core} are the core's event types")
        conventions = sorted(set(names) & CONVENTION_EVENTS.keys())
        if conventions:
            raise ValueError(
                f"plugin {self.name}: {conventions} are convention types any plugin emits"
                " undeclared (pitstop.events.rewards)"
            )


def permission(name: str, description: str, grants: Iterable[str]) -> Permission:
    """A plugin permission and the built-in roles that get it by default."""
    return Permission(name, description, frozenset(grants))


EventHandler = Callable[["PluginContext", Event], Awaitable[None]]
TaskHandler = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class ReadFirst:
    """A task whose ``check`` runs first, in a transaction that only reads; ``run`` runs (in
    the usual write transaction, where it must look again) only when the check says so.

    Many timer messages find their work already done by an earlier one. On SQLite every
    task transaction takes the write lock when it begins; a check that begins deferred
    lets those find out without queueing behind the writers. Same arguments for both.
    """

    check: Callable[..., Awaitable[bool]]
    run: TaskHandler


ScheduleHandler = Callable[["PluginContext"], Awaitable[None]]


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    run: ScheduleHandler
