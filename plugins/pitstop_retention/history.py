"""A customer's retention history: ``GET /api/v1/retention/customers/{id}/states``.

Every change of state the nightly run or a visit made (``churn.changed``), oldest first: a
manager sees that a customer slid from active to at risk in March (missed services) and
was won back by a visit in May, not only where they stand tonight. The same lines are in
the 360° section (the latest few), in the customer's export, and go with their erasure.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy import select

from pitstop.sdk import Limit, NotFound, Page, PluginContext, get_customer, keyset, page_of

from .api import READ
from .models import StateChange


class StateChangeOut(msgspec.Struct):
    id: uuid.UUID
    from_state: str | None
    state: str
    reasons: list[str]
    at: dt.datetime


def change_out(row: StateChange) -> StateChangeOut:
    return StateChangeOut(row.id, row.from_state, row.state, list(row.reasons), row.at)


async def latest(ctx: PluginContext, customer_id: uuid.UUID, count: int) -> list[StateChange]:
    """The customer's ``count`` latest changes, newest first (the 360° section)."""
    statement = (
        select(StateChange)
        .where(StateChange.customer_id == customer_id)
        .order_by(StateChange.at.desc(), StateChange.id.desc())
        .limit(count)
    )
    return list((await ctx.session.scalars(statement)).all())


class CustomerStatesController(Controller):
    path = "/customers/{customer_id:uuid}/states"

    @get("/", opt=READ)
    async def list_states(
        self,
        ctx: NamedDependency[PluginContext],
        customer_id: FromPath[uuid.UUID],
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[StateChangeOut]:
        """The customer's changes of retention state, oldest first; another tenant's
        customer is a 404 as one that does not exist."""
        if await get_customer(ctx, customer_id) is None:
            raise NotFound("no such customer", code="customer_not_found")
        statement = select(StateChange).where(StateChange.customer_id == customer_id)
        rows = (await ctx.session.scalars(keyset(statement, StateChange.id, after, limit))).all()
        return page_of(rows, limit, [change_out(r) for r in rows[:limit]], lambda r: r.id)
