"""Service-order and stock writes a plugin may make (SDK 1.4).

A plugin that buys a car for the shop (trade-in) moves it to the tenant's internal
customer and opens the reconditioning job on it, through the same code the front desk
uses: the store must be active and one of the caller's (a store-scoped hook sees its own
stores only), the lines are priced by the core within the tenant's limits, and another
tenant's vehicle or store is simply not found (a 422 naming the field). Nothing here
commits: the writes are part of the hook's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select

from pitstop.access.principal import Principal
from pitstop.crm import orders
from pitstop.crm.internal import take_into_stock as move_to_stock
from pitstop.crm.models import Vehicle
from pitstop.crm.schemas import LineIn, ServiceOrderCreate, decode_strict, is_strict_number
from pitstop.errors import Unprocessable
from pitstop.plugin_host.context import PluginContext
from pitstop.sdk_orders import ServiceOrderView, order_view

SYSTEM = uuid.UUID(int=0)


@dataclass(frozen=True)
class OrderLine:
    """One line of a service order a plugin opens: ``quantity x unit_price`` (fen)."""

    description: str
    unit_price: int
    category: str = "repair"
    """A CRM line category: maintenance, repair, beauty, tyre, inspection or other."""
    kind: str = "labor"
    """``labor`` or ``part`` (``discount`` too, taken off the total)."""
    quantity: Decimal = Decimal(1)


async def _vehicle(ctx: PluginContext, vehicle_id: uuid.UUID) -> Vehicle:
    statement = select(Vehicle).where(Vehicle.id == vehicle_id)
    found = (await ctx._session.scalars(statement)).one_or_none()
    if found is None:
        raise Unprocessable.field("vehicle_id", "no such vehicle", code="unknown_vehicle")
    return found


async def take_into_stock(ctx: PluginContext, vehicle_id: uuid.UUID) -> uuid.UUID:
    """The shop bought the car: it now belongs to the tenant's internal customer (one per
    tenant, made on first use, left out of customer lists, counts and rewards). Recorded in
    the vehicle's ownership history and audited ``vehicle.taken_into_stock``; a car in
    stock already is left as it is. Returns the internal customer's id."""
    vehicle = await _vehicle(ctx, vehicle_id)
    await move_to_stock(ctx._session, vehicle, ctx.now(), by=ctx.plugin)
    return vehicle.customer_id


def _strict(target: type, value: Any) -> Any:
    """Money and quantities checked as the HTTP body's are (whole fen, 3 decimals)."""
    if is_strict_number(target):
        return decode_strict(target, value)
    raise NotImplementedError(target)


def _lines(lines: Sequence[OrderLine]) -> list[LineIn]:
    if not lines:
        raise Unprocessable.field("lines", "at least one line")
    try:
        return [
            msgspec.convert(asdict(line), LineIn, strict=False, dec_hook=_strict) for line in lines
        ]
    except msgspec.ValidationError as error:
        raise Unprocessable.field("lines", str(error), code="invalid_line") from None


async def open_service_order(
    ctx: PluginContext,
    *,
    vehicle_id: uuid.UUID,
    store_id: uuid.UUID,
    lines: Sequence[OrderLine],
) -> ServiceOrderView:
    """Open a service order (status ``open``) at ``store_id`` for the vehicle's current
    owner, priced from ``lines``. The store must be one the hook's caller sees (a store
    manager's own; every store for a schedule or an event). Each call opens an order: a
    plugin keeps the id it got to stay idempotent."""
    vehicle = await _vehicle(ctx, vehicle_id)
    principal = ctx.principal or Principal("system", SYSTEM, ctx.tenant_id, None, frozenset())
    data = ServiceOrderCreate(
        store_id=store_id,
        customer_id=vehicle.customer_id,
        vehicle_id=vehicle.id,
        lines=_lines(lines),
    )
    order, _ = await orders.open_order(ctx._session, data, principal, ctx.now())
    return order_view(order)
