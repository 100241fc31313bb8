"""The small value types of the plugin contract (re-exported by :mod:`pitstop.sdk`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from pitstop.access.permissions import Permission
from pitstop.crm.extensions import Section as Section  # re-exported: the SDK names it

if TYPE_CHECKING:
    from pitstop.hooks.context import PluginContext

SDK_VERSION = "1.0"
"""Bumped in its major part when a change would break a plugin written for the last one."""


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


def permission(name: str, description: str, grants: Iterable[str]) -> Permission:
    """A plugin permission and the built-in roles that get it by default."""
    return Permission(name, description, frozenset(grants))


@dataclass(frozen=True)
class Event:
    """A domain event as a subscriber sees it: ids and facts, never personal data."""

    id: uuid.UUID
    type: str
    tenant_id: uuid.UUID
    occurred_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)


EventHandler = Callable[["PluginContext", Event], Awaitable[None]]
TaskHandler = Callable[..., Awaitable[None]]
ScheduleHandler = Callable[["PluginContext"], Awaitable[None]]


@dataclass(frozen=True)
class Schedule:
    name: str
    cron: str
    run: ScheduleHandler
