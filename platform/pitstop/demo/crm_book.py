"""``pitstop demo``'s CRM data: three years of a chain's (and a shop's) service history.

Deterministic (seeded Faker zh_CN and ``random``), idempotent (a tenant that already has
customers is left alone, so a second run adds nothing) and fast: rows are generated in
Python and written with bulk INSERTs, one transaction per tenant, inside that tenant's scope
(so the ORM wall and row-level security hold for the loader too).

Historical orders write no outbox events: they describe the past, and replaying three years
of ``service_order.completed`` into freshly enabled plugins would award points for visits
made before the plugin existed. Plugins see events from the moment they are enabled.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.models import (
    Customer,
    LineCategory,
    LineKind,
    MileageReading,
    ServiceOrder,
    ServiceOrderLine,
    Vehicle,
    VehicleOwnership,
)
from pitstop.crm.orders import next_service
from pitstop.crm.pricing import OrderLimits, price_lines
from pitstop.crm.schemas import Fen, LineIn, Quantity
from pitstop.db.base import new_id
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.demo.people import Book, PeopleMaker
from pitstop.identity.models import Membership
from pitstop.tenancy.models import Store, Tenant

CHUNK = 2_000
HISTORY_DAYS = 3 * 365


@dataclass(frozen=True)
class BookSize:
    customers: int
    vehicles: int
    orders: int


SIZES = {
    "demo-chain": BookSize(customers=2_000, vehicles=2_500, orders=10_000),
    "demo-shop": BookSize(customers=300, vehicles=360, orders=1_200),
}

# (category, kind, description, unit price in fen, the quantities one may see)
JOBS: dict[str, list[tuple[str, str, str, int, tuple[str, ...]]]] = {
    "maintenance": [
        ("maintenance", "labor", "常规保养工时", 8_000, ("1",)),
        ("maintenance", "part", "全合成机油 1L", 9_800, ("4", "4.5", "5")),
        ("maintenance", "part", "机油滤清器", 6_500, ("1",)),
        ("maintenance", "part", "空气滤清器", 8_800, ("1",)),
    ],
    "tyre": [
        ("tyre", "part", "轮胎 225/55 R17", 68_000, ("1", "2", "4")),
        ("tyre", "labor", "四轮定位", 19_800, ("1",)),
    ],
    "beauty": [
        ("beauty", "labor", "精致洗车", 4_800, ("1",)),
        ("beauty", "labor", "漆面打蜡", 28_800, ("1",)),
        ("beauty", "labor", "内饰清洗", 38_000, ("1",)),
    ],
    "repair": [
        ("repair", "part", "前刹车片", 42_000, ("1",)),
        ("repair", "labor", "刹车系统维修工时", 20_000, ("1", "1.5", "2")),
        ("repair", "part", "蓄电池", 68_000, ("1",)),
    ],
    "inspection": [("inspection", "labor", "年检代办", 30_000, ("1",))],
}
DISCOUNT = ("maintenance", "discount", "会员保养优惠", 2_000, ("1",))
"""Given on about one maintenance visit in ten."""
LINE_COLUMNS = ("position", "kind", "category", "description", "quantity", "unit_price", "amount")
JOB_WEIGHTS = (("maintenance", 50), ("beauty", 20), ("tyre", 10), ("repair", 15), ("inspection", 5))


async def load_demo_crm(
    factory: SessionFactory, now: dt.datetime, sizes: Mapping[str, BookSize] = SIZES
) -> dict[str, int]:
    """Generate each demo tenant's book unless it has one; returns customers added per slug.

    ``sizes`` names the demo tenants and their books; tests pass smaller ones.
    """
    added = {}
    async with factory() as session:
        tenants = (await session.execute(select(Tenant.slug, Tenant.id, Tenant.timezone))).all()
    for slug, tenant_id, timezone in tenants:
        if slug not in sizes:
            continue
        with tenant_scope(tenant_id):
            async with factory() as session, session.begin():
                added[slug] = await _load_tenant(
                    session, tenant_id, timezone, sizes[slug], now, seed=sum(map(ord, slug))
                )
    return added


async def _load_tenant(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    timezone: str,
    size: BookSize,
    now: dt.datetime,
    seed: int,
) -> int:
    if await session.scalar(select(func.count()).select_from(Customer)):
        return 0  # idempotent: this tenant's book exists
    stores = [
        {"id": s.id, "city": s.city, "region": s.region}
        for s in (await session.scalars(select(Store).where(Store.active).order_by(Store.code)))
    ]
    if not stores:
        return 0
    advisors = list(
        (
            await session.scalars(select(Membership.id).where(Membership.role == "service_advisor"))
        ).all()
    )
    start = now - dt.timedelta(days=HISTORY_DAYS)
    book = PeopleMaker(tenant_id, stores, now, seed).book(size.customers, size.vehicles, start)
    history = _History(random.Random(seed + 1), tenant_id, timezone, stores, advisors, now)
    history.generate(book, size.orders)
    await _bulk(session, Customer, book.customers)
    await _bulk(session, Vehicle, book.vehicles)
    await _bulk(session, VehicleOwnership, book.ownerships)
    await _bulk(session, ServiceOrder, history.orders)
    await _bulk(session, ServiceOrderLine, history.lines)
    await _bulk(session, MileageReading, history.readings)
    return len(book.customers)


async def _bulk(session: AsyncSession, model: type, rows: Sequence[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await session.execute(insert(model), list(rows[i : i + CHUNK]))


class _History:
    """Service orders spread over three years, with odometer readings that only go up."""

    def __init__(
        self,
        rng: random.Random,
        tenant_id: uuid.UUID,
        timezone: str,
        stores: list[dict[str, Any]],
        advisors: list[uuid.UUID],
        now: dt.datetime,
    ) -> None:
        self.rng, self.tenant_id, self.timezone = rng, tenant_id, timezone
        self.stores, self.advisors, self.now = stores, advisors, now
        self.orders: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.readings: list[dict[str, Any]] = []

    def generate(self, book: Book, count: int) -> None:
        owners = {c["id"]: c for c in book.customers}
        visits = [self.rng.choice(book.vehicles) for _ in range(count)]
        plan: dict[uuid.UUID, list[dt.datetime]] = {}
        for vehicle in visits:
            since = vehicle["created_at"]
            at = since + dt.timedelta(
                seconds=self.rng.random() * (self.now - since).total_seconds()
            )
            plan.setdefault(vehicle["id"], []).append(at)
        planned = [
            (at, vehicle) for vehicle in book.vehicles for at in sorted(plan.get(vehicle["id"], []))
        ]
        for at, vehicle in sorted(planned, key=lambda p: p[0]):
            self._order(vehicle, owners[vehicle["customer_id"]], at)

    def _order(self, vehicle: dict[str, Any], owner: dict[str, Any], at: dt.datetime) -> None:
        rng = self.rng
        home = owner["home_store_id"]
        store = home if rng.random() < 0.8 else rng.choice(self.stores)["id"]
        km = (vehicle["mileage_km"] or rng.randint(500, 30_000)) + rng.randint(800, 9_000)
        vehicle["mileage_km"] = km
        order_id = new_id()
        job = rng.choices([j for j, _ in JOB_WEIGHTS], [w for _, w in JOB_WEIGHTS])[0]
        total, labor, parts, amounts = self._lines(order_id, job)
        recent = (self.now - at) < dt.timedelta(days=2)
        status = "open" if recent else "refunded" if rng.random() < 0.01 else "completed"
        done = at + dt.timedelta(hours=rng.randint(1, 6))
        due_km, due_date = next_service({}, self.timezone, done, km)
        finished = status != "open"
        self.orders.append(
            {
                "tenant_id": self.tenant_id,
                "id": order_id,
                "store_id": store,
                "customer_id": owner["id"],
                "vehicle_id": vehicle["id"],
                "advisor_id": rng.choice(self.advisors) if self.advisors else None,
                "status": status,
                "currency": "CNY",
                "total": total,
                "labor_total": labor,
                "parts_total": parts,
                "discount_total": labor + parts - total,
                "amounts": amounts,
                "mileage_km": km if finished else None,
                "opened_at": at,
                "completed_at": done if finished else None,
                "refunded_at": done + dt.timedelta(days=1) if status == "refunded" else None,
                "refund_reason": "客户对施工质量不满意" if status == "refunded" else None,
                "next_service_km": due_km if finished else None,
                "next_service_date": due_date if finished else None,
                "created_at": at,
                "updated_at": done,
            }
        )
        if finished:
            self.readings.append(
                {
                    "tenant_id": self.tenant_id,
                    "id": new_id(),
                    "vehicle_id": vehicle["id"],
                    "mileage_km": km,
                    "read_at": done,
                    "source": "service_order",
                    "service_order_id": order_id,
                    "correction": False,
                }
            )

    def _lines(self, order_id: uuid.UUID, job: str) -> tuple[int, int, int, dict[str, int]]:
        """Priced by the API's own rules (rounding half up, discounts off their category)."""
        picked = JOBS[job][:1] + [j for j in JOBS[job][1:] if self.rng.random() < 0.6]
        if job == "maintenance" and self.rng.random() < 0.1:
            picked.append(DISCOUNT)
        priced = price_lines(
            [
                LineIn(
                    kind=LineKind(kind),
                    category=LineCategory(category),
                    description=text,
                    quantity=Quantity(self.rng.choice(quantities)),
                    unit_price=Fen(price),
                )
                for category, kind, text, price, quantities in picked
            ],
            OrderLimits(),
        )
        for line in priced.lines:
            self.lines.append(
                {
                    "tenant_id": self.tenant_id,
                    "id": new_id(),
                    "order_id": order_id,
                    **{key: getattr(line, key) for key in LINE_COLUMNS},
                }
            )
        return priced.total, priced.labor, priced.parts, priced.by_category
