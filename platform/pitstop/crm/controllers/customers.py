"""HTTP API of customers: search, create, change, reveal, the 360° profile, export, erase.

One transaction per request (the ``session`` dependency): a change, its outbox event and
its audit entry commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream
from sqlalchemy import Date, Integer, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import record
from pitstop.access.principal import Principal
from pitstop.access.search_limits import check_search
from pitstop.crm import customer_search, privacy
from pitstop.crm import customers as service
from pitstop.crm.customer_export import csv_lines
from pitstop.crm.customer_filters import CustomerFilters, customer_filters, plugin_conditions
from pitstop.crm.customer_rows import customer_columns
from pitstop.crm.extensions import CustomerExtensions
from pitstop.crm.internal import internal_customer_id
from pitstop.crm.models import Customer
from pitstop.crm.responses import customer_out
from pitstop.crm.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    CustomerProfile,
    EraseRequest,
    RevealOut,
    RevealRequest,
)
from pitstop.db.base import Clock
from pitstop.db.engine import READS_ONLY, SessionFactory
from pitstop.errors import NotFound
from pitstop.events.outbox import emit
from pitstop.inputs import SearchText
from pitstop.pagination import Limit, Page, check_limit, keyset, page_of, parse_cursor
from pitstop.settings import Settings
from pitstop.tenancy.periods import DEFAULT_TIMEZONE, tenant_timezone

_ONE_CUSTOMER = service.with_derived(
    select(Customer).where(Customer.id == bindparam("customer_id")),
    bindparam("today", type_=Date),
)
"""Built once, run with each request's id: no statement to build, and the ORM wall
decides about it once."""


def _plain_page(after: bool) -> Any:
    """The list with no search and no filter (the list as opened, and paged on), built
    once like ``_ONE_CUSTOMER``: building a page's statement and its cache key anew cost
    more CPU than the rows (issue 21). The same SQL as :func:`customer_search.search_statement`
    with nothing to narrow it, read as rows."""
    statement = select(*customer_columns()).where(Customer.id != bindparam("stock"))
    if after:
        statement = statement.where(Customer.id > bindparam("after"))
    statement = statement.order_by(Customer.id).limit(bindparam("limit", type_=Integer))
    return service.with_derived(statement, bindparam("today", type_=Date))


_PLAIN_PAGES = {after: _plain_page(after) for after in (False, True)}


async def _one_out(session: AsyncSession, today: dt.date, customer: Customer) -> CustomerOut:
    derived = await service.derive(session, [customer.id], today)
    return customer_out(customer, derived[customer.id])


class CustomersController(Controller):
    path = "/customers"
    tags = ["customers"]
    dependencies = {"filters": Provide(customer_filters, sync_to_thread=False)}

    @get("/", opt={"permission": "customers:read"})
    async def list_customers(
        self,
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        filters: NamedDependency[CustomerFilters],
        customer_extensions: NamedDependency[CustomerExtensions],
        q: SearchText = None,
        tag: FromQuery[str | None] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
        lifecycle: FromQuery[str | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[CustomerOut]:
        """``q`` finds by exact phone, its last four digits, plate, VIN or name prefix; the
        other filters (segment, usage, region, occupation, age band, spend, visits, last
        visit, make, model, store, consent, and ``tier`` from the membership plugin) narrow
        it, all AND-ed (docs/insights.md).

        Searching by a class your role sees masked is limited (30 a minute, 300 a day, then
        429 with ``Retry-After``) and audited as ``customer.search``."""
        now = clock()
        await check_search(
            session,
            principal,
            customer_search.searched_classes(q, tag),
            "\n".join(p for p in (q and q.strip(), tag) if p),
            now=now,
            secret_key=settings.secret_key,
        )
        today = now.date()
        if q is None and not tag and store_id is None and not lifecycle and filters.plain:
            cursor = parse_cursor(after)
            paged = _PLAIN_PAGES[cursor is not None]
            values = {"stock": internal_customer_id(), "after": cursor, "today": today}
            result = await session.execute(paged, values | {"limit": check_limit(limit) + 1})
        else:
            statement = customer_search.search_statement(
                q=q,
                tag=tag,
                store_id=store_id,
                lifecycle=lifecycle,
                today=today,
                dialect=session.get_bind().dialect.name,
                filters=filters,
                timezone=await tenant_timezone(session) if filters.by_day else DEFAULT_TIMEZONE,
                plugin_conditions=await plugin_conditions(session, customer_extensions, filters),
            )
            as_rows = statement.with_only_columns(*customer_columns())
            result = await session.execute(
                service.with_derived(keyset(as_rows, Customer.id, after, limit), today)
            )
        rows = [service.derived_of(row) for row in result.all()]
        items = [customer_out(c, derived) for c, derived in rows[:limit]]
        return page_of(rows, limit, items, lambda row: row[0].id)

    @get("/export.csv", opt={"permission": "customers:list_export"}, media_type="text/csv")
    async def export_list(
        self,
        session: NamedDependency[AsyncSession],
        sessions: NamedDependency[SessionFactory],
        clock: NamedDependency[Clock],
        filters: NamedDependency[CustomerFilters],
        customer_extensions: NamedDependency[CustomerExtensions],
        tag: FromQuery[str | None] = None,
        store_id: FromQuery[uuid.UUID | None] = None,
        lifecycle: FromQuery[str | None] = None,
    ) -> Stream:
        """The list's filters (not ``q``: a search by personal data is the list's alone) as
        CSV, streamed page by page, masked by the reader's role, audited."""
        now = clock()
        statement = customer_search.search_statement(
            q=None,
            tag=tag,
            store_id=store_id,
            lifecycle=lifecycle,
            today=now.date(),
            dialect=session.get_bind().dialect.name,
            filters=filters,
            timezone=await tenant_timezone(session),
            plugin_conditions=await plugin_conditions(session, customer_extensions, filters),
        )
        used = {k: str(v) for k, v in vars(filters).items() if v is not None}
        used |= {k: str(v) for k, v in (("store_id", store_id), ("lifecycle", lifecycle)) if v}
        await record(
            session, "customer.list_exported", resource="customer", detail={"filters": used}
        )
        return Stream(
            csv_lines(sessions, statement, now.date()),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
        )

    @post("/", status_code=201, opt={"permission": "customers:write"})
    async def create_customer(
        self,
        data: JSONBody[CustomerCreate],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> CustomerOut:
        now = clock()
        customer = await service.register_customer(session, data, now)
        # Created in this transaction: no order, vehicle or score can name it yet.
        return customer_out(customer, service.Derived())

    @get("/{customer_id:uuid}", opt={"permission": "customers:read", READS_ONLY: True})
    async def get_customer(
        self,
        customer_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> CustomerOut:
        ids = {"customer_id": customer_id, "today": clock().date()}
        row = (await session.execute(_ONE_CUSTOMER, ids)).one_or_none()
        if row is None:
            raise NotFound("no such customer", code="customer_not_found")
        return customer_out(*service.derived_of(row))

    @patch("/{customer_id:uuid}", opt={"permission": "customers:write"})
    async def change_customer(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[CustomerPatch],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> CustomerOut:
        now = clock()
        customer = await service.get_customer(session, customer_id)
        changed = await service.update_customer(session, customer, data, now)
        if changed:
            await session.flush()
            await emit(
                session,
                "customer.updated",
                {"customer_id": str(customer.id), "fields": changed},
                occurred_at=now,
            )
        return await _one_out(session, now.date(), customer)

    @post("/{customer_id:uuid}/reveal", status_code=200, opt={"permission": "customers:reveal"})
    async def reveal(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[RevealRequest],
        session: NamedDependency[AsyncSession],
    ) -> RevealOut:
        """Raw values of the fields asked for, with a reason; written to the audit log."""
        customer = await service.get_customer(session, customer_id)
        return await privacy.reveal(session, customer, data.fields, data.reason.strip())

    @get("/{customer_id:uuid}/profile", opt={"permission": "customers:read"})
    async def profile(
        self,
        customer_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        customer_extensions: NamedDependency[CustomerExtensions],
        principal: NamedDependency[Principal],
    ) -> CustomerProfile:
        customer = await service.get_customer(session, customer_id)
        today = clock().date()
        return await privacy.profile(session, customer_extensions, customer, principal, today)

    @get("/{customer_id:uuid}/export", opt={"permission": "customers:export"})
    async def export(
        self,
        customer_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        customer_extensions: NamedDependency[CustomerExtensions],
    ) -> dict[str, Any]:
        """Everything held about the customer, raw (it is their own data), audited."""
        customer = await service.get_customer(session, customer_id)
        return await privacy.export(session, customer_extensions, customer)

    @post("/{customer_id:uuid}/erase", status_code=200, opt={"permission": "customers:erase"})
    async def erase(
        self,
        customer_id: FromPath[uuid.UUID],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        customer_extensions: NamedDependency[CustomerExtensions],
        data: JSONBody[EraseRequest | None] = None,
    ) -> CustomerOut:
        """Anonymise irreversibly; financial records stay, plugins erase their own data."""
        customer = await service.get_customer(session, customer_id)
        reason = data.reason.strip() if data else ""
        now = clock()
        await privacy.erase(session, customer_extensions, customer, reason, now)
        return await _one_out(session, now.date(), customer)
