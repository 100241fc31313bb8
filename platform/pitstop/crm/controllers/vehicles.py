"""HTTP API of vehicles: register, find, change (including owner), mileage, history."""

from __future__ import annotations

import uuid

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.access.search_limits import check_search
from pitstop.crm import orders as order_service
from pitstop.crm import vehicles as service
from pitstop.crm.models import MileageSource, ServiceOrder, Vehicle, VehicleOwnership
from pitstop.crm.responses import mileage_out, order_out, ownership_out, vehicle_out
from pitstop.crm.schemas import (
    MileageOut,
    MileageRequest,
    VehicleCreate,
    VehicleHistoryOut,
    VehicleOut,
    VehiclePatch,
)
from pitstop.db.base import Clock
from pitstop.db.engine import READS_ONLY
from pitstop.inputs import SearchText
from pitstop.pagination import Limit, Page, keyset, page_of
from pitstop.settings import Settings


class VehiclesController(Controller):
    path = "/vehicles"
    tags = ["vehicles"]

    @get("/", opt={"permission": "vehicles:read"})
    async def list_vehicles(
        self,
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        q: SearchText = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[VehicleOut]:
        """``q`` finds by exact plate or VIN, or by the VIN's last digits; limited and audited
        like a customer search for a role that sees plates or VINs masked."""
        now = clock()
        await check_search(
            session,
            principal,
            service.searched_classes(q),
            (q or "").strip(),
            now=now,
            secret_key=settings.secret_key,
        )
        statement = keyset(service.list_statement(q, customer_id), Vehicle.id, after, limit)
        rows = (await session.scalars(statement)).all()
        today = now.date()
        return page_of(rows, limit, [vehicle_out(v, today) for v in rows], lambda v: v.id)

    @post("/", status_code=201, opt={"permission": "vehicles:write"})
    async def register(
        self,
        data: JSONBody[VehicleCreate],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> VehicleOut:
        now = clock()
        vehicle = await service.register_vehicle(session, data, now)
        return vehicle_out(vehicle, now.date())

    @get("/{vehicle_id:uuid}", opt={"permission": "vehicles:read", READS_ONLY: True})
    async def get_vehicle(
        self,
        vehicle_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> VehicleOut:
        vehicle = await service.get_vehicle(session, vehicle_id)
        return vehicle_out(vehicle, clock().date())

    @patch("/{vehicle_id:uuid}", opt={"permission": "vehicles:write"})
    async def change(
        self,
        vehicle_id: FromPath[uuid.UUID],
        data: JSONBody[VehiclePatch],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> VehicleOut:
        """A new ``customer_id`` transfers ownership; the previous owner stays in history."""
        now = clock()
        vehicle = await service.get_vehicle(session, vehicle_id)
        await service.update_vehicle(session, vehicle, data, now)
        await session.flush()
        return vehicle_out(vehicle, now.date())

    @post("/{vehicle_id:uuid}/mileage", status_code=201, opt={"permission": "vehicles:write"})
    async def record_mileage(
        self,
        vehicle_id: FromPath[uuid.UUID],
        data: JSONBody[MileageRequest],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> MileageOut:
        """A reading lower than the last is refused unless ``correction`` is true."""
        vehicle = await service.get_vehicle(session, vehicle_id)
        reading = await service.record_mileage(
            session,
            vehicle,
            data.mileage_km,
            clock(),
            correction=data.correction,
            source=MileageSource.manual,
            note=data.note,
        )
        return mileage_out(reading)

    @get("/{vehicle_id:uuid}/history", opt={"permission": "vehicles:read", READS_ONLY: True})
    async def history(
        self,
        vehicle_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> VehicleHistoryOut:
        """Owners, the odometer timeline and service orders; a store-scoped reader sees only
        its own stores' visits and the readings they took (and readings no visit took)."""
        vehicle = await service.get_vehicle(session, vehicle_id)
        owners = await session.scalars(
            select(VehicleOwnership)
            .where(VehicleOwnership.vehicle_id == vehicle.id)
            .order_by(VehicleOwnership.started_at, VehicleOwnership.id)
        )
        readings = await session.scalars(service.timeline_statement(principal, vehicle.id))
        orders = await session.scalars(
            order_service.list_statement(principal, vehicle_id=vehicle.id).order_by(
                ServiceOrder.opened_at, ServiceOrder.id
            )
        )
        return VehicleHistoryOut(
            vehicle=vehicle_out(vehicle, clock().date()),
            owners=[ownership_out(o) for o in owners.all()],
            mileage=[mileage_out(r) for r in readings.all()],
            service_orders=[order_out(o) for o in orders.all()],
        )
