"""``emit``: write a domain event into the outbox, inside the caller's transaction.

Every payload is checked against its declared type (:mod:`pitstop.events.types`) before
it is written: the core's types are in :mod:`pitstop.events.payloads`, a plugin's come
with its ``PluginInfo.events`` (``PluginContext.emit`` passes the declaration). A payload
that does not match raises :class:`~pitstop.events.types.EventPayloadInvalid` at emit.

Payloads carry IDs and facts (amounts, mileage, categories), never personal data: they
travel through the broker and sit in Redis, outside the masking at the API's edge. As a
second line of defence ``emit`` refuses a payload in which any string looks like personal
data, by the same detectors that redact logs and mask free text (:mod:`pitstop.personal_data`).

After the transaction commits, the relay is nudged with the new event's ID (see
:mod:`pitstop.events.relay`); if that nudge is lost, the periodic sweep finds the row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.db.base import utcnow
from pitstop.db.on_commit import on_commit
from pitstop.events.models import OutboxEvent
from pitstop.events.payloads import CORE_EVENTS
from pitstop.events.types import EventType, UndeclaredEvent
from pitstop.personal_data import find

NUDGE_KEY = "pitstop_outbox_nudge"
Nudge = Callable[[uuid.UUID, uuid.UUID], None]
"""Put in ``session.info`` by each runtime's session factory: hands an event to its relay."""


class PersonalDataInEvent(ValueError):
    """An event payload carried something that looks like personal data."""


def _check_payload(value: Any, path: str = "payload") -> None:
    if isinstance(value, str):
        if find(value):
            raise PersonalDataInEvent(f"{path} looks like personal data; events carry IDs only")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_payload(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_payload(item, f"{path}[{i}]")


async def emit(
    session: AsyncSession,
    type: str,
    payload: Mapping[str, Any] | msgspec.Struct,
    *,
    occurred_at: dt.datetime | None = None,
    declared: EventType | None = None,
) -> OutboxEvent:
    """Add an event to the outbox of the tenant in context; published after commit.

    ``declared`` is the type's declaration when a plugin emits; without it ``type`` must
    be one of the core's.
    """
    found = await emit_many(session, type, [payload], occurred_at=occurred_at, declared=declared)
    return found[0]


async def emit_many(
    session: AsyncSession,
    type: str,
    payloads: Sequence[Mapping[str, Any] | msgspec.Struct],
    *,
    occurred_at: dt.datetime | None = None,
    declared: EventType | None = None,
) -> list[OutboxEvent]:
    """Several events of one type, checked each as :func:`emit` does, written in one flush
    (a night that changes many customers' states writes their events in one statement)."""
    declared = declared or CORE_EVENTS.get(type)
    if declared is None or declared.name != type:
        raise UndeclaredEvent(
            f"event type {type} is not declared: the core's are in pitstop.events.payloads,"
            " a plugin's in PluginInfo.events"
        )
    checked = []
    for payload in payloads:
        if isinstance(payload, Mapping):
            _check_payload(dict(payload))  # before the schema: its errors may quote a value
        checked.append(declared.check(payload))
    return await append_many(session, type, checked, occurred_at=occurred_at)


async def append(
    session: AsyncSession,
    type: str,
    payload: Mapping[str, Any],
    *,
    occurred_at: dt.datetime | None = None,
) -> OutboxEvent:
    """Write an already checked payload (or an SDK 1.0 plugin's undeclared one)."""
    return (await append_many(session, type, [payload], occurred_at=occurred_at))[0]


async def append_many(
    session: AsyncSession,
    type: str,
    payloads: Sequence[Mapping[str, Any]],
    *,
    occurred_at: dt.datetime | None = None,
) -> list[OutboxEvent]:
    events = []
    for payload in payloads:
        data = dict(payload)
        _check_payload(data)
        events.append(OutboxEvent(type=type, payload=data, occurred_at=occurred_at or utcnow()))
    session.add_all(events)
    await session.flush()
    nudge: Nudge | None = session.sync_session.info.get(NUDGE_KEY)
    if nudge is not None:
        for event in events:
            on_commit(session, partial(nudge, event.tenant_id, event.id))
    return events
