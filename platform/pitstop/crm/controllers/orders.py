"""HTTP API of service orders: open, list, start, redeem a code, complete, refund.

Store scope is enforced in two places that cannot disagree: lists are filtered in SQL by
``orders.list_statement`` and single orders go through ``orders.get_order``, which answers
404 for another store's order exactly as for another tenant's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.crm import discounts
from pitstop.crm import orders as service
from pitstop.crm.discounts import DiscountProviders, VoucherCodeIn
from pitstop.crm.models import OrderStatus, ServiceOrder
from pitstop.crm.responses import order_out
from pitstop.crm.schemas import (
    STRICT_DECODERS,
    CompleteRequest,
    RefundRequest,
    ServiceOrderCreate,
    ServiceOrderOut,
)
from pitstop.db.base import Clock
from pitstop.db.engine import READS_ONLY
from pitstop.inputs import checked_day
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.tenancy.periods import checked_period, tenant_timezone


async def _completion_bounds(
    session: AsyncSession, first: dt.date | None, last: dt.date | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The UTC instants the tenant's local days ``from`` and ``to`` (inclusive) span; a
    bound not given leaves that side open."""
    if first is None and last is None:
        return None, None
    if first is not None:
        checked_day(first, "from")
    if last is not None:
        checked_day(last, "to")
    first_day, last_day = first or last, last or first
    assert first_day is not None and last_day is not None  # one was given
    period = checked_period(first_day, last_day, await tenant_timezone(session))
    return (
        period.start_at if first is not None else None,
        period.end_at if last is not None else None,
    )


class ServiceOrdersController(Controller):
    path = "/service-orders"
    tags = ["service orders"]
    type_decoders = STRICT_DECODERS

    @get("/", opt={"permission": "service_orders:read", READS_ONLY: True})
    async def list_orders(
        self,
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        store_id: FromQuery[uuid.UUID | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        vehicle_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[OrderStatus | None] = None,
        advisor_id: FromQuery[uuid.UUID | None] = None,
        first: Annotated[dt.date | None, QueryParameter(name="from")] = None,
        last: Annotated[dt.date | None, QueryParameter(name="to")] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[ServiceOrderOut]:
        """``from``/``to`` are local days of the tenant, inclusive, on ``completed_at``:
        with ``status=completed`` the totals add up to the KPI board's ``revenue``."""
        completed_from, completed_before = await _completion_bounds(session, first, last)
        statement = service.list_statement(
            principal,
            store_id=store_id,
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            status=status,
            advisor_id=advisor_id,
            completed_from=completed_from,
            completed_before=completed_before,
        )
        rows = (await session.scalars(keyset(statement, ServiceOrder.id, after, limit))).all()
        return page_of(rows, limit, [order_out(o) for o in rows], lambda o: o.id)

    @post("/", status_code=201, opt={"permission": "service_orders:write"})
    async def open_order(
        self,
        data: JSONBody[ServiceOrderCreate],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ServiceOrderOut:
        """Totals are computed here from the lines (integer fen), never taken from the client."""
        order, lines = await service.open_order(session, data, principal, clock())
        return order_out(order, lines)

    @get("/{order_id:uuid}", opt={"permission": "service_orders:read", READS_ONLY: True})
    async def get_order(
        self,
        order_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> ServiceOrderOut:
        order = await service.get_order(session, order_id, principal)
        return order_out(order, await service.lines_of(session, order.id))

    @post("/{order_id:uuid}/start", status_code=200, opt={"permission": "service_orders:write"})
    async def start(
        self,
        order_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ServiceOrderOut:
        order = await service.get_order(session, order_id, principal)
        service.start(order, clock())
        await session.flush()
        return order_out(order, await service.lines_of(session, order.id))

    @post("/{order_id:uuid}/complete", status_code=200, opt={"permission": "service_orders:write"})
    async def complete(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[CompleteRequest],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ServiceOrderOut:
        """Records the odometer, sets the next service due and emits the completion event."""
        order = await service.get_order(session, order_id, principal)
        await service.complete(
            session, order, data.mileage_km, clock(), correction=data.mileage_correction
        )
        await session.flush()
        return order_out(order, await service.lines_of(session, order.id))

    @post("/{order_id:uuid}/refund", status_code=200, opt={"permission": "service_orders:write"})
    async def refund(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[RefundRequest],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ServiceOrderOut:
        order = await service.get_order(session, order_id, principal)
        await service.refund(session, order, data.reason.strip(), clock())
        await session.flush()
        return order_out(order, await service.lines_of(session, order.id))

    @post("/{order_id:uuid}/vouchers", status_code=200, opt={"permission": "service_orders:write"})
    async def redeem_code(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[VoucherCodeIn],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        discount_providers: NamedDependency[DiscountProviders],
    ) -> ServiceOrderOut:
        """A voucher (or any plugin's code) on an open order: the plugin that knows the code
        validates and holds it, the core adds its ``discount`` lines and reprices."""
        order = await service.get_order(session, order_id, principal, lock=True)
        lines = await service.lines_of(session, order.id)
        lines = await discounts.redeem(
            session, discount_providers, order, data.code, principal, lines
        )
        return order_out(order, lines)
