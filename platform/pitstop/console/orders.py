"""Service orders at the console: open one with lines, look at it, complete it; today's list.

The order services do the work and the store scope: ``orders.get_order`` answers 404 for
an order of a store the reader does not work at, exactly as for another tenant's, and the
worklist is ``orders.list_statement`` (filtered in SQL to the reader's stores).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop import wording
from pitstop.access.principal import Principal
from pitstop.console.forms import FormErrors, convert, errors_of, quantity_of, yuan_to_fen
from pitstop.console.i18n import N_, local_day_bounds
from pitstop.console.view import Desk, shown
from pitstop.crm import customers as customer_service
from pitstop.crm import discounts
from pitstop.crm import orders as service
from pitstop.crm import vehicles as vehicle_service
from pitstop.crm.discounts import DiscountProviders, VoucherCodeIn
from pitstop.crm.models import LineCategory, OrderStatus, ServiceOrder
from pitstop.crm.responses import customer_out, order_out, vehicle_out
from pitstop.crm.schemas import CompleteRequest, RefundRequest, ServiceOrderCreate
from pitstop.db.base import Clock
from pitstop.errors import ApiError, Conflict, Unprocessable
from pitstop.tenancy.models import Store

LINE_ROWS = 4
"""Blank line rows on a new order; the page's script adds more, a plain post can resend."""
WORKLIST_SIZE = 200
KIND_LABELS = {"labor": N_("Labour"), "part": N_("Part"), "discount": N_("Discount")}
CATEGORY_LABELS = {
    "maintenance": N_("Maintenance"),
    "repair": N_("Repair"),
    "beauty": N_("Detailing"),
    "tyre": N_("Tyres"),
    "inspection": N_("Inspection"),
    "other": N_("Other"),
}
STATUS_LABELS = {
    "open": N_("Open"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "refunded": N_("Refunded"),
}


async def _stores(session: AsyncSession, principal: Principal) -> list[Store]:
    rows = (await session.scalars(select(Store).order_by(Store.code))).all()
    return [s for s in rows if principal.sees_store(s.id)]


def _lines(form: Any) -> tuple[list[dict[str, Any]], list[dict[str, str]], dict[str, str]]:
    """Filled line rows as the API's lines (yuan → fen), the rows as typed, and errors."""
    typed = list(
        zip(
            form.getall("kind", []),
            form.getall("category", []),
            form.getall("description", []),
            form.getall("quantity", []),
            form.getall("unit_price", []),
            strict=False,
        )
    )
    lines: list[dict[str, Any]] = []
    rows: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    for index, (kind, category, description, quantity, price) in enumerate(typed):
        row = {
            "kind": kind,
            "category": category,
            "description": description.strip(),
            "quantity": quantity.strip(),
            "unit_price": price.strip(),
        }
        rows.append(row)
        if not row["description"] and not row["unit_price"]:
            continue
        try:
            lines.append(
                {
                    "kind": kind,
                    "category": category,
                    "description": row["description"],
                    "quantity": quantity_of(row["quantity"] or "1", f"lines[{index}].quantity"),
                    "unit_price": yuan_to_fen(row["unit_price"], f"lines[{index}].unit_price"),
                }
            )
        except FormErrors as exc:
            errors.update(exc.errors)
    return lines, rows, errors


class OrdersController(Controller):
    path = "/"

    @get("/orders/new", opt={"permission": "service_orders:write"})
    async def new_order(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        vehicle_id: FromQuery[uuid.UUID | None] = None,
    ) -> Template:
        """An order is opened for a car: without one, the page says where to find it."""
        if vehicle_id is None:
            return desk.page("order_pick.html")
        return await _order_form(desk, session, principal, clock, vehicle_id, [], {})

    @post("/orders/new", opt={"permission": "service_orders:write"})
    async def open_order(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """``POST /api/v1/service-orders``: totals are computed by the service from the lines."""
        form = await request.form()
        vehicle_id = _uuid(str(form.get("vehicle_id", "")), "vehicle_id")
        vehicle = await vehicle_service.get_vehicle(session, vehicle_id)
        lines, rows, errors = _lines(form)
        try:
            if errors:
                raise FormErrors(errors)
            data = convert(
                {
                    "store_id": str(form.get("store_id", "")),
                    "customer_id": str(vehicle.customer_id),
                    "vehicle_id": str(vehicle.id),
                    "lines": lines,
                },
                ServiceOrderCreate,
            )
            order, _ = await service.open_order(session, data, principal, clock())
        except FormErrors as exc:
            return await _order_form(
                desk, session, principal, clock, vehicle_id, rows, exc.errors, status=422
            )
        except Unprocessable as exc:
            return await _order_form(
                desk, session, principal, clock, vehicle_id, rows, errors_of(exc), status=422
            )
        return Redirect(f"/console/orders/{order.id}", status_code=303)

    @get("/orders/{order_id:uuid}", opt={"permission": "service_orders:read"})
    async def order(
        self,
        order_id: FromPath[uuid.UUID],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Template:
        return await _order_page(desk, session, principal, clock, order_id, {})

    @post("/orders/{order_id:uuid}/complete", opt={"permission": "service_orders:write"})
    async def complete(
        self,
        order_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """``POST /api/v1/service-orders/{id}/complete``: odometer, next service, the event."""
        form = await request.form()
        order = await service.get_order(session, order_id, principal)
        try:
            data = convert({"mileage_km": str(form.get("mileage_km", ""))}, CompleteRequest)
            await service.complete(session, order, data.mileage_km, clock())
        except FormErrors as exc:
            return await _order_page(desk, session, principal, clock, order_id, exc.errors, 422)
        except Unprocessable as exc:
            errors = errors_of(exc)
            return await _order_page(desk, session, principal, clock, order_id, errors, 422)
        return Redirect(f"/console/orders/{order.id}", status_code=303)

    @post("/orders/{order_id:uuid}/voucher", opt={"permission": "service_orders:write"})
    async def redeem_code(
        self,
        order_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        discount_providers: NamedDependency[DiscountProviders],
    ) -> Template | Redirect:
        """``POST /api/v1/service-orders/{id}/vouchers``: the plugin that knows the code holds
        it, the core adds the discount lines; a refused code leaves nothing behind."""
        form = await request.form()
        try:
            data = convert({"code": str(form.get("code", "")).strip()}, VoucherCodeIn)
            async with session.begin_nested():
                order = await service.get_order(session, order_id, principal, lock=True)
                lines = await service.lines_of(session, order.id)
                await discounts.redeem(
                    session, discount_providers, order, data.code, principal, lines
                )
        except FormErrors as exc:
            return await _order_page(desk, session, principal, clock, order_id, exc.errors, 422)
        except (Unprocessable, Conflict) as exc:
            errors = {"code": exc.detail} if isinstance(exc, Conflict) else errors_of(exc)
            if exc.own is not None:  # a plugin's refusal: worded as its API words it
                errors = {k: wording.worded(v, desk.language, exc.own) for k, v in errors.items()}
            return await _order_page(desk, session, principal, clock, order_id, errors, 422)
        return Redirect(f"/console/orders/{order_id}", status_code=303)

    @post("/orders/{order_id:uuid}/refund", opt={"permission": "service_orders:write"})
    async def refund(
        self,
        order_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """``POST /api/v1/service-orders/{id}/refund`` with its reason."""
        form = await request.form()
        order = await service.get_order(session, order_id, principal)
        try:
            data = convert({"reason": str(form.get("reason", "")).strip()}, RefundRequest)
            async with session.begin_nested():
                await service.refund(session, order, data.reason, clock())
        except FormErrors as exc:
            return await _order_page(desk, session, principal, clock, order_id, exc.errors, 422)
        except (Unprocessable, Conflict) as exc:
            errors = {"reason": exc.detail} if isinstance(exc, Conflict) else errors_of(exc)
            return await _order_page(desk, session, principal, clock, order_id, errors, 422)
        return Redirect(f"/console/orders/{order_id}", status_code=303)

    @get("/worklist", opt={"permission": "service_orders:read"})
    async def worklist(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Template:
        """Orders opened today (the tenant's day) at the reader's stores, newest first."""
        start, end = local_day_bounds(clock(), desk.timezone)
        statement = (
            service.list_statement(principal)
            .where(ServiceOrder.opened_at >= start, ServiceOrder.opened_at < end)
            .order_by(ServiceOrder.id.desc())
            .limit(WORKLIST_SIZE)
        )
        orders = (await session.scalars(statement)).all()
        stores = {s.id: s.name for s in await _stores(session, principal)}
        return desk.page(
            "worklist.html",
            orders=[shown(order_out(o)) for o in orders],
            stores=stores,
            statuses=STATUS_LABELS,
        )


def _uuid(text: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Unprocessable.field(field, "must be an id") from None


async def _order_form(
    desk: Desk,
    session: AsyncSession,
    principal: Principal,
    clock: Clock,
    vehicle_id: uuid.UUID,
    rows: list[dict[str, str]],
    errors: dict[str, str],
    status: int = 200,
) -> Template:
    vehicle = await vehicle_service.get_vehicle(session, vehicle_id)
    customer = await customer_service.get_customer(session, vehicle.customer_id)
    derived = await customer_service.derive(session, [customer.id], clock().date())
    rows = rows + [{} for _ in range(max(0, LINE_ROWS - len(rows)))]
    return desk.page(
        "order_new.html",
        status,
        vehicle=shown(vehicle_out(vehicle, clock().date())),
        customer=shown(customer_out(customer, derived[customer.id])),
        stores=await _stores(session, principal),
        rows=rows,
        errors=errors,
        kinds=KIND_LABELS,
        categories={c.value: CATEGORY_LABELS.get(c.value, c.value) for c in LineCategory},
    )


async def _order_page(
    desk: Desk,
    session: AsyncSession,
    principal: Principal,
    clock: Clock,
    order_id: uuid.UUID,
    errors: dict[str, str],
    status: int = 200,
) -> Template:
    order = await service.get_order(session, order_id, principal)
    lines = await service.lines_of(session, order.id)
    customer = await customer_service.get_customer(session, order.customer_id)
    derived = await customer_service.derive(session, [customer.id], clock().date())
    try:
        vehicle = await vehicle_service.get_vehicle(session, order.vehicle_id)
        vehicle_view = shown(vehicle_out(vehicle, clock().date()))
    except ApiError:
        vehicle_view = None
    store = await session.get(Store, (order.tenant_id, order.store_id))
    writes = principal.can("service_orders:write")
    return desk.page(
        "order.html",
        status,
        order=shown(order_out(order, lines)),
        customer=shown(customer_out(customer, derived[customer.id])),
        vehicle=vehicle_view,
        store=store.name if store else "",
        errors=errors,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        can_complete=writes and order.status in (OrderStatus.open, OrderStatus.in_progress),
        can_refund=writes and order.status == OrderStatus.completed,
    )
