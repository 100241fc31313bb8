"""Event payloads for tests that write straight into the outbox: whole, as emit checks them."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from pitstop.events.payloads import ServiceOrderFacts


def completed_order(**facts: Any) -> ServiceOrderFacts:
    """A ``service_order.completed`` payload about no real order, with ``facts`` overriding."""
    payload = ServiceOrderFacts(
        order_id=uuid.uuid4(),
        store_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        vehicle_id=uuid.uuid4(),
        total=0,
        currency="CNY",
        amounts={},
        mileage_km=None,
    )
    return msgspec.structs.replace(payload, **facts)
