"""HQ's stores at the console: each store's opening hours and holidays, changed on a form.

Reading is ``GET /api/v1/stores``'s rule (``stores:read``); a change is
``PATCH /api/v1/stores/{id}``'s (``stores:manage``) through the same
``tenancy.stores.change_store``: the same canonical hours (``08:30-12:00,13:30-18:00`` or
``closed`` per day), the same audit entry (``store.changed``, field names only), every bad
field named beside it and nothing saved. A store a tenant manifest manages says so: the
next ``pitstop tenants apply`` puts the manifest's values back.

Opening a store is ``POST /api/v1/stores``'s twin (``stores:manage``, the same
``tenancy.stores.open_store``): its code taken is named beside the code, its audit entry is
``store.created``, and it opens in the tenant's time zone unless the form names another.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.console.forms import FormErrors, convert
from pitstop.console.i18n import N_
from pitstop.console.view import Desk, shown
from pitstop.errors import Conflict, NotFound, Unprocessable
from pitstop.tenancy import stores as service
from pitstop.tenancy.hours import DAYS
from pitstop.tenancy.models import RegionClass, Store
from pitstop.tenancy.schemas import StoreCreate, StorePatch, store_out

DAY_LABELS = {
    "mon": N_("Monday"), "tue": N_("Tuesday"), "wed": N_("Wednesday"), "thu": N_("Thursday"),
    "fri": N_("Friday"), "sat": N_("Saturday"), "sun": N_("Sunday"),
}  # fmt: skip
REGION_LABELS = {"urban": N_("urban"), "county": N_("county"), "township": N_("township")}


def patch_from_form(form: Any) -> StorePatch:
    """The form's hours (one field a day) and holidays (one a line) as the API's patch."""
    hours = {day: str(form.get(f"hours.{day}", "")).strip() or "closed" for day in DAYS}
    holidays = [line.strip() for line in str(form.get("holidays", "")).splitlines() if line.strip()]
    return StorePatch(hours=hours, holidays=holidays)


def field_of(error: dict[str, Any]) -> str:
    """``holidays[2]`` is shown beside the holidays box; ``hours.mon`` beside Monday."""
    name = str(error.get("field") or "form")
    return "holidays" if name.startswith("holidays") else name


class StoresPages(Controller):
    path = "/hq/stores"

    @get("/", opt={"permission": "stores:read"})
    async def stores(
        self, desk: NamedDependency[Desk], session: NamedDependency[AsyncSession]
    ) -> Template:
        rows = (await session.scalars(select(Store).order_by(Store.code))).all()
        return desk.page("stores.html", stores=[shown(store_out(s)) for s in rows], days=DAYS,
                         day_labels=DAY_LABELS)  # fmt: skip

    @get("/new", opt={"permission": "stores:manage"})
    async def new(self, desk: NamedDependency[Desk]) -> Template:
        return _new_store_page(desk)

    @post("/", opt={"permission": "stores:manage"})
    async def open(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """As ``POST /api/v1/stores``: then to the new store's page."""
        form = await request.form()
        typed = {k: str(form.get(k, "")).strip() for k in ("code", "name", "city", "region",
                                                          "timezone", "holidays")}  # fmt: skip
        typed |= {f"hours.{day}": str(form.get(f"hours.{day}", "")).strip() for day in DAYS}
        try:
            week = patch_from_form(form)
            values = {k: typed[k] for k in ("code", "name", "city", "region", "timezone")}
            data = convert(values | {"hours": week.hours, "holidays": week.holidays}, StoreCreate)
            async with session.begin_nested():
                store = await service.open_store(session, data)
        except FormErrors as exc:
            return _new_store_page(desk, exc.errors, typed, 422)
        except Conflict:
            return _new_store_page(desk, {"code": "a store with this code exists"}, typed, 409)
        except Unprocessable as exc:
            errors = {field_of(e): str(e.get("message", "")) for e in exc.errors}
            return _new_store_page(desk, errors or {"form": exc.detail}, typed, 422)
        return Redirect(f"/console/hq/stores/{store.id}?saved=1", status_code=303)

    @get("/{store_id:uuid}", opt={"permission": "stores:read"})
    async def store(
        self,
        store_id: FromPath[uuid.UUID],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        saved: FromQuery[bool] = False,
    ) -> Template:
        return await _store_page(desk, session, store_id, saved=saved)

    @post("/{store_id:uuid}", opt={"permission": "stores:manage"})
    async def change(
        self,
        store_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        """Hours and holidays as ``PATCH /api/v1/stores/{id}`` takes them (audited there)."""
        form = await request.form()
        typed = {f"hours.{day}": str(form.get(f"hours.{day}", "")) for day in DAYS}
        typed["holidays"] = str(form.get("holidays", ""))
        try:
            async with session.begin_nested():  # a refused change leaves nothing behind
                await service.change_store(session, store_id, patch_from_form(form))
        except Unprocessable as exc:
            errors = {field_of(e): str(e.get("message", "")) for e in exc.errors}
            return await _store_page(desk, session, store_id, errors or {"form": exc.detail},
                                     typed, 422)  # fmt: skip
        return Redirect(f"/console/hq/stores/{store_id}?saved=1", status_code=303)


async def _store_page(
    desk: Desk,
    session: AsyncSession,
    store_id: uuid.UUID,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
    *,
    saved: bool = False,
) -> Template:
    store = (await session.scalars(select(Store).where(Store.id == store_id))).one_or_none()
    if store is None:
        raise NotFound("no such store")
    out = msgspec.to_builtins(store_out(store))
    values = {f"hours.{day}": out["hours"].get(day, "closed") for day in DAYS}
    values["holidays"] = "\n".join(out["holidays"])
    can_manage = desk.principal is not None and desk.principal.can("stores:manage")
    return desk.page(
        "store.html", status, store=out, values=values | (typed or {}), errors=errors or {},
        days=DAYS, day_labels=DAY_LABELS, can_manage=can_manage, saved=saved,
    )  # fmt: skip


def _new_store_page(
    desk: Desk,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    blank = {"code": "", "name": "", "city": "", "region": "urban", "timezone": "",
             "holidays": ""} | {f"hours.{day}": "" for day in DAYS}  # fmt: skip
    return desk.page(
        "store_new.html", status, values=typed or blank, errors=errors or {}, days=DAYS,
        day_labels=DAY_LABELS, regions=[r.value for r in RegionClass], region_labels=REGION_LABELS,
        zone=desk.timezone,
    )  # fmt: skip
