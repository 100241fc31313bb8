"""Staff at the console: hire, change a person's role and stores, deactivate, invite.

Each form is the twin of an API route and calls its service, ``identity.staff_admin``:
``POST /api/v1/staff`` (hire), ``PATCH /api/v1/staff/{id}`` (role, stores, active) and
``POST /api/v1/staff/{id}/invite``. So the console refuses exactly what the API refuses,
with the same field errors (worded in the reader's language beside each field), writes the
same ``staff.changed`` audit entry, and keeps the same store scope: a store-scoped holder of
``staff:manage`` sees, changes and gives only their own stores, and another tenant's or
another store's person is the 404 page. A refused post saves nothing (a nested transaction).

The list is by role, then hiring order, a page at a time: keyset on ``(role, id)`` after the
last person shown (``?after=<id>``), so a hire while someone reads never shifts a page. A
store-scoped manager's scope is the service's (``staff_admin.managed``, in Python), so a
page is filled batch by batch until it holds a page of people they manage.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.console.forms import FormErrors, convert, errors_of
from pitstop.console.view import Desk, shown
from pitstop.db.base import Clock
from pitstop.errors import ApiError, Conflict, Unprocessable
from pitstop.identity import staff_admin
from pitstop.identity.models import Membership, Role, User
from pitstop.identity.notices import StaffNotices
from pitstop.identity.schemas import StaffCreate, StaffPatch, role_out, staff_out
from pitstop.settings import Settings
from pitstop.tenancy.models import Store

PAGE_SIZE = 100
ALL_STORES = "all_stores"


def stores_of(form: Any, principal: Principal) -> list[uuid.UUID] | None:
    """The ticked stores; None (every store) when "all stores" is ticked, which only a
    giver of every store is offered (a store-scoped one sending it is refused by the
    service). A tampered id is named beside the stores."""
    if form.get(ALL_STORES):
        return None
    try:
        return msgspec.convert(form.getall("stores", []), list[uuid.UUID], strict=False)
    except msgspec.ValidationError:
        raise FormErrors({"stores": "is not a valid id"}) from None


def folded(errors: dict[str, str]) -> dict[str, str]:
    """``stores[2]``'s error is shown beside the store boxes."""
    return {("stores" if k.startswith("stores") else k): v for k, v in errors.items()}


def typed_of(form: Any) -> dict[str, Any]:
    """What was typed and ticked, to show again beside the errors."""
    return {
        "email": str(form.get("email", "")),
        "name": str(form.get("name", "")),
        "role": str(form.get("role", "")),
        "stores": [str(s) for s in form.getall("stores", [])],
        ALL_STORES: bool(form.get(ALL_STORES)),
        "active": str(form.get("active", "1")),
    }


class StaffPages(Controller):
    path = "/hq/staff"
    opt = {"permission": "staff:manage"}

    @get("/")
    async def staff(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        after: FromQuery[uuid.UUID | None] = None,
    ) -> Template:
        """A page of everyone this reader manages, with role and stores, and the hiring
        form."""
        return await _staff_page(desk, session, after=after)

    @post("/")
    async def hire(
        self,
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        """As ``POST /api/v1/staff``: then to the person's page, to invite them."""
        form = await request.form()
        typed = typed_of(form)
        try:
            values = {k: typed[k] for k in ("email", "name", "role")}
            data = convert(values | {"stores": stores_of(form, principal)}, StaffCreate)
            async with session.begin_nested():
                membership = await staff_admin.hire(session, principal, data)
        except FormErrors as exc:
            return await _staff_page(desk, session, exc.errors, typed, 422)
        except Conflict as exc:
            return await _staff_page(desk, session, {"email": exc.detail}, typed, 409)
        except Unprocessable as exc:
            return await _staff_page(desk, session, folded(errors_of(exc)), typed, 422)
        return Redirect(f"/console/hq/staff/{membership.id}?saved=1", status_code=303)

    @get("/{staff_id:uuid}")
    async def person(
        self,
        staff_id: FromPath[uuid.UUID],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        saved: FromQuery[bool] = False,
    ) -> Template:
        membership = await staff_admin.member(session, principal, staff_id)
        return await _person_page(desk, session, membership, saved=saved)

    @post("/{staff_id:uuid}")
    async def change(
        self,
        staff_id: FromPath[uuid.UUID],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        """As ``PATCH /api/v1/staff/{id}``: the role, the stores and whether they work here
        (inactive: signed out everywhere at once, as through the API)."""
        membership = await staff_admin.member(session, principal, staff_id)
        form = await request.form()
        typed = typed_of(form)
        try:
            given = {"role": typed["role"], "active": typed["active"] != "0"}
            data = msgspec.structs.replace(
                convert(given, StaffPatch), stores=stores_of(form, principal)
            )
            async with session.begin_nested():
                await staff_admin.change(session, principal, membership, data)
        except FormErrors as exc:
            return await _person_page(desk, session, membership, exc.errors, typed, 422)
        except Unprocessable as exc:
            await session.refresh(membership)
            return await _person_page(desk, session, membership, folded(errors_of(exc)), typed, 422)
        return Redirect(f"/console/hq/staff/{membership.id}?saved=1", status_code=303)

    @post("/{staff_id:uuid}/invite")
    async def invite(
        self,
        staff_id: FromPath[uuid.UUID],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        staff_notices: NamedDependency[StaffNotices],
    ) -> Template:
        """As ``POST /api/v1/staff/{id}/invite``: the token on this page once, unless the
        tenant's staff channel delivers it to the person."""
        membership = await staff_admin.member(session, principal, staff_id)
        try:
            async with session.begin_nested():
                invited = await staff_admin.invite(
                    session, membership, secret=settings.secret_key, now=clock(),
                    ttl=dt.timedelta(seconds=settings.invite_ttl_seconds), notices=staff_notices,
                )  # fmt: skip
        except ApiError as exc:
            return await _person_page(desk, session, membership, errors_of(exc), None, exc.status)
        return await _person_page(desk, session, membership, invited=shown(invited))


async def _choices(desk: Desk, session: AsyncSession) -> dict[str, Any]:
    """The roles and the stores this reader may give (a store-scoped one: their own)."""
    principal = desk.principal
    stores = (await session.scalars(select(Store).order_by(Store.code))).all()
    roles = (await session.scalars(select(Role).order_by(Role.name))).all()
    return {
        "stores": [s for s in stores if principal is not None and principal.sees_store(s.id)],
        "roles": [shown(role_out(r)) for r in roles],
        "codes": {str(s.id): s.code for s in stores},
        "every_store": principal is not None and principal.store_ids is None,
    }


async def _staff_page(
    desk: Desk,
    session: AsyncSession,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
    *,
    after: uuid.UUID | None = None,
) -> Template:
    assert desk.principal is not None  # the guard let no one else in
    rows, later = await _managed_page(session, desk.principal, after)
    staff = [shown(staff_out(m, u)) for m, u in rows]
    can_roles = desk.principal.can("roles:manage") and desk.principal.store_ids is None
    blank = {"email": "", "name": "", "role": "", "stores": [], ALL_STORES: True}
    return desk.page(
        "staff.html", status, staff=staff, can_roles=can_roles, errors=errors or {},
        typed=typed or blank, later=later, **await _choices(desk, session),
    )  # fmt: skip


async def _managed_page(
    session: AsyncSession, principal: Principal, after: uuid.UUID | None
) -> tuple[list[Any], str | None]:
    """A page of ``(Membership, User)`` rows the principal manages after ``after``, and the
    cursor of the next page (None on the last). An ``after`` that names nobody is the start
    of nothing: an empty last page, like a page past the end."""
    statement = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .order_by(Membership.role, Membership.id)
        .limit(PAGE_SIZE + 1)
    )
    cursor: tuple[str, uuid.UUID] | None = None
    if after is not None:
        role = await session.scalar(select(Membership.role).where(Membership.id == after))
        if role is None:
            return [], None
        cursor = (role, after)
    kept: list[Any] = []
    while len(kept) <= PAGE_SIZE:
        page = statement
        if cursor is not None:
            role, last = cursor
            page = page.where(
                or_(Membership.role > role, and_(Membership.role == role, Membership.id > last))
            )
        batch = (await session.execute(page)).all()
        kept += staff_admin.managed(principal, batch)
        if len(batch) <= PAGE_SIZE:
            break
        cursor = (batch[-1][0].role, batch[-1][0].id)
    later = str(kept[PAGE_SIZE - 1][0].id) if len(kept) > PAGE_SIZE else None
    return kept[:PAGE_SIZE], later


async def _person_page(
    desk: Desk,
    session: AsyncSession,
    membership: Membership,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
    *,
    saved: bool = False,
    invited: dict[str, Any] | None = None,
) -> Template:
    person = shown(staff_out(membership, await staff_admin.person(session, membership)))
    current = {
        "role": person["role"],
        "stores": [str(s) for s in person["stores"] or []],
        ALL_STORES: person["stores"] is None,
        "active": "1" if person["active"] else "0",
    }
    return desk.page(
        "staff_person.html", status, person=person, typed=typed or current,
        errors=errors or {}, saved=saved, invited=invited, **await _choices(desk, session),
    )  # fmt: skip
