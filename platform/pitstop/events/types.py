"""What an event is, and what each type of event carries: the contract of the outbox.

An :class:`Event` is what a subscriber receives. An :class:`EventType` is its emitter's
promise about the payload: a msgspec Struct, checked when the event is emitted, so a
payload that does not match fails in the emitter's own transaction (and test) instead of
in some subscriber, on a worker, hours later. The core declares its types in
:mod:`pitstop.events.payloads`; a plugin declares its own in ``PluginInfo.events``. The
:class:`EventCatalog` joins them for ``GET /api/v1/events/types`` and ``docs/events.md``.

Payloads carry ids and facts (amounts, categories, instants), never personal data: they
travel through the broker and sit in Redis, outside the masking at the API's edge.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

CORE = "core"
"""The emitter name of the core's own event types."""


@dataclass(frozen=True)
class Event:
    """A domain event as a subscriber sees it: ids and facts, never personal data."""

    id: uuid.UUID
    type: str
    tenant_id: uuid.UUID
    occurred_at: dt.datetime
    payload: dict[str, Any] = field(default_factory=dict)


class UndeclaredEvent(LookupError):
    """An event type nobody declared, or one declared by another emitter."""


class EventPayloadInvalid(ValueError):
    """A payload does not match its event type's Struct; the message names the field."""


@dataclass(frozen=True)
class EventType:
    """An event type and the Struct its payload must match.

    ``version`` starts at 1 and goes up when a field is removed, renamed or changes
    meaning (subscribers may break); adding an optional field keeps it. Payload Structs
    should set ``forbid_unknown_fields=True`` so a misspelt key fails at emit.
    """

    name: str
    payload: type[msgspec.Struct]
    version: int = 1
    description: str = ""

    def __post_init__(self) -> None:
        if not (isinstance(self.payload, type) and issubclass(self.payload, msgspec.Struct)):
            raise TypeError(f"event type {self.name}: payload must be a msgspec Struct class")
        if "." not in self.name or self.name != self.name.strip():
            raise ValueError(f"event type {self.name!r}: name it <area>.<what happened>")

    def check(self, payload: Mapping[str, Any] | msgspec.Struct) -> dict[str, Any]:
        """The payload as stored (JSON values), once it is known to match the Struct."""
        if isinstance(payload, msgspec.Struct):
            if type(payload) is not self.payload:
                raise EventPayloadInvalid(
                    f"event {self.name} carries {self.payload.__name__},"
                    f" not {type(payload).__name__}"
                )
            data: dict[str, Any] = msgspec.to_builtins(payload)  # a Struct checks no types
        else:
            data = dict(payload)
        try:
            msgspec.convert(data, self.payload)
        except msgspec.ValidationError as exc:
            raise EventPayloadInvalid(
                f"event {self.name} payload does not match {self.payload.__name__}: {exc}"
            ) from None
        return data

    def schema(self) -> dict[str, Any]:
        """The payload's JSON Schema, as msgspec generates it (what subscribers rely on)."""
        return msgspec.json.schema(self.payload)


class PublishedType(msgspec.Struct):
    """One event type as ``GET /api/v1/events/types`` publishes it."""

    type: str
    emitter: str
    """``core``, or the name of the plugin that declares it."""
    version: int
    description: str
    payload_schema: dict[str, Any] = msgspec.field(name="schema")


@dataclass(frozen=True)
class EventCatalog:
    """Every declared event type, by name, with the emitter that declares it."""

    types: Mapping[str, tuple[str, EventType]]

    @classmethod
    def of(cls, declarations: Mapping[str, Sequence[EventType]]) -> EventCatalog:
        """Join ``{emitter: types}``; a type two emitters declare is refused, naming both."""
        types: dict[str, tuple[str, EventType]] = {}
        for emitter, declared in declarations.items():
            for event_type in declared:
                if event_type.name in types:
                    other = types[event_type.name][0]
                    raise UndeclaredEvent(
                        f"event type {event_type.name} is declared by {other} and {emitter}"
                    )
                types[event_type.name] = (emitter, event_type)
        return cls(types)

    def emitter_of(self, name: str) -> str | None:
        found = self.types.get(name)
        return None if found is None else found[0]

    def published(self) -> list[PublishedType]:
        return [
            PublishedType(
                name,
                emitter,
                declared.version,
                declared.description or (declared.payload.__doc__ or "").strip(),
                declared.schema(),
            )
            for name, (emitter, declared) in sorted(self.types.items())
        ]
