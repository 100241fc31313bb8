"""``GET /api/v1/events/types``: every event type, its emitter, version and payload schema.

The OpenAPI document at ``/schema`` describes requests and responses; this is its
counterpart for the outbox. A subscriber's author (a partner writing a survey plugin, a BI
feed) reads what ``complaint.resolved`` carries here, as JSON Schema generated from the
very Struct the emitter's payloads are checked against - so it cannot drift from the code.
Any signed-in staff member may read it: it holds no tenant's data.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from pitstop.events.types import EventCatalog, PublishedType


class EventTypesOut(msgspec.Struct):
    items: list[PublishedType]
    """By type name; ``emitter`` is ``core`` or the declaring plugin."""


class EventTypesController(Controller):
    path = "/events/types"
    tags = ["events"]

    @get("/", opt={"authenticated": True})
    async def list_event_types(self, event_catalog: NamedDependency[EventCatalog]) -> EventTypesOut:
        """The event types of the core and of every installed plugin, with payload schemas."""
        return EventTypesOut(event_catalog.published())
