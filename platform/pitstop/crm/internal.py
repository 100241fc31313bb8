"""The tenant's internal customer: the shop itself, as the owner of the cars it buys in.

A car the shop buys (a trade-in) still needs a customer on its service orders, so that
reconditioning is tracked like any job. That customer is the tenant's own: one per
tenant, created on first use, and never a customer in the trade's sense - left out of the
customer list (unless asked for with ``internal=true``), of every KPI and insight count,
of RFM, and (through ``CustomerView.internal``) of every plugin's reminders and rewards.

Its id is derived from the tenant's (uuid5), which is the flag: "one per tenant" is the
primary key itself (two concurrent first uses collide on it rather than making two), and
leaving it out of an aggregate is a plain ``customer_id != <id>`` that needs no join.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access import audit
from pitstop.crm.models import Customer, SourceChannel, UsageType, Vehicle
from pitstop.crm.vehicles import transfer
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import Conflict

NAMESPACE = uuid.UUID("5a0c8f1e-7d3b-4e62-9c4f-2b8e6d1a7f35")
NAME = "本店库存车 In stock"
"""What staff see where the internal customer is shown (a stock car's history)."""


def internal_customer_id(tenant_id: uuid.UUID | None = None) -> uuid.UUID:
    """The internal customer's id in ``tenant_id`` (default: the current tenant)."""
    return uuid.uuid5(NAMESPACE, str(tenant_id or current_tenant_id()))


def is_internal(customer: Customer) -> bool:
    return customer.id == internal_customer_id(customer.tenant_id)


def not_internal(column: Any) -> ColumnElement[bool]:
    """``column`` (a customer id) is not the current tenant's internal customer."""
    return column != internal_customer_id()


async def internal_customer(session: AsyncSession) -> Customer:
    """The tenant's internal customer, created on first use (no ``customer.created``
    event: it is nobody a plugin should greet, enrol or remind)."""
    tenant_id = current_tenant_id()
    found = await session.get(Customer, (tenant_id, internal_customer_id(tenant_id)))
    if found is not None:
        return found
    row = Customer(
        id=internal_customer_id(tenant_id),
        name=NAME,
        source=SourceChannel.other,
        usage=UsageType.commercial,
        tags=["internal"],
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another transaction created it first
        again = await session.get(Customer, (tenant_id, internal_customer_id(tenant_id)))
        assert again is not None
        return again
    return row


async def take_into_stock(
    session: AsyncSession, vehicle: Vehicle, now: dt.datetime, *, by: str
) -> bool:
    """Move the vehicle to the internal customer: its ownership history gains a row and the
    audit log ``vehicle.taken_into_stock`` naming the previous owner (by id) and who asked.
    False, and nothing written, when the shop owns it already."""
    stock = await internal_customer(session)
    previous = vehicle.customer_id
    if previous == stock.id:
        return False
    await transfer(session, vehicle, stock.id, now)
    await audit.record(
        session,
        "vehicle.taken_into_stock",
        resource="vehicle",
        resource_id=vehicle.id,
        detail={"from_customer_id": str(previous), "by": by},
        at=now,
    )
    return True


def refuse_if_internal(customer: Customer, action: str) -> None:
    """The internal customer is the shop: it is not edited, erased or exported as a person."""
    if is_internal(customer):
        raise Conflict(
            f"the internal customer cannot be {action}", code="internal_customer", action=action
        )
