"""Store groups: the sets of stores a manager of several stores sees together, with links.

A board for several stores taken together (a manager of two stores reads their block as one)
counts a customer who visited both once. Neither the chain's links nor each store's can say
that: the chain's neighbours may lie outside the set, and each store's count the customer
once per store. So each set some membership holds gets links of its own - a visit's previous
and next visit *within the set* (:class:`GroupLink`), counted by key like the store links,
from which the board reads unique customers, repurchase and 12-month retention
(docs/insights.md, "Store groups").

The sets are the distinct ``store_ids`` of the tenant's active memberships with two stores or
more. The nightly job registers new ones and builds their links in the database
(:mod:`pitstop.crm.link_rebuild`), drops those nobody holds any more, and rebuilds a group
whose links do not account for every visit to its stores; an order keeps every registered
group holding its store in the order's transaction (:func:`visit_recorded`, called by
``visit_links.visit_recorded`` under the same customer lock). A set first held today is read
from the orders until the night builds it: the same figures, only slower.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, Uuid, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import UniqueConstraint

from pitstop.crm import counts, link_rebuild
from pitstop.crm.internal import not_internal
from pitstop.crm.link_rebuild import NEVER, OPEN
from pitstop.crm.models import OrderStatus, ServiceOrder
from pitstop.db.base import JSONDoc, TenantModel, new_id, tenant_fk
from pitstop.db.tenant_context import current_tenant_id
from pitstop.identity.models import Membership

NAMESPACE = uuid.UUID("6f1d7d1e-3b0a-4c55-9a57-5a1f0c2b7e10")
VISITS = (OrderStatus.completed, OrderStatus.refunded)
Visit = tuple[dt.datetime, uuid.UUID, uuid.UUID]
"""``(completed_at, order id, store_id)``, as in :mod:`pitstop.crm.visit_links`."""
GroupKey = tuple[dt.date, dt.date, dt.date]
"""``(day, previous_day, next_day)`` within one group."""


class StoreGroup(TenantModel):
    __tablename__ = "store_groups"

    stores: Mapped[list[str]] = mapped_column(JSONDoc)
    """The member stores' ids, sorted; the group's id is derived from them."""


class GroupLink(TenantModel):
    __tablename__ = "group_links"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "group_id", "day", "previous_day", "next_day", name="uq_group_links_key"
        ),
        tenant_fk(["group_id"], "store_groups"),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    day: Mapped[dt.date] = mapped_column(Date)
    previous_day: Mapped[dt.date] = mapped_column(Date)
    next_day: Mapped[dt.date] = mapped_column(Date)
    visits: Mapped[int] = mapped_column(Integer, default=0)


def group_id(stores: Iterable[uuid.UUID]) -> uuid.UUID:
    """The same set of stores, whatever their order, is the same group."""
    return uuid.uuid5(NAMESPACE, ",".join(sorted(str(store) for store in stores)))


async def built(session: AsyncSession, stores: Sequence[uuid.UUID]) -> uuid.UUID | None:
    """The registered group of exactly these stores, or None (not held at the last night)."""
    found = group_id(stores)
    registered = await session.scalar(
        select(StoreGroup.id).where(
            StoreGroup.tenant_id == current_tenant_id(), StoreGroup.id == found
        )
    )
    return found if registered is not None else None


def group_links(
    visits: Iterable[Visit], stores: frozenset[uuid.UUID], timezone: str
) -> Counter[GroupKey]:
    """One customer's links within a group, from their visits in any order."""
    zone = ZoneInfo(timezone)
    days = [at.astimezone(zone).date() for at, _, store in sorted(visits) if store in stores]
    found: Counter[GroupKey] = Counter()
    for i, day in enumerate(days):
        previous = days[i - 1] if i else NEVER
        following = days[i + 1] if i + 1 < len(days) else OPEN
        found[(day, previous, following)] += 1
    return found


async def _add(session: AsyncSession, group: uuid.UUID, deltas: Counter[GroupKey]) -> None:
    rows = [
        {
            "tenant_id": current_tenant_id(),
            "id": new_id(),
            "group_id": group,
            "day": day,
            "previous_day": previous,
            "next_day": following,
            "visits": n,
        }
        for (day, previous, following), n in deltas.items()
        if n
    ]
    key = ("tenant_id", "group_id", "day", "previous_day", "next_day")
    await counts.add(session, GroupLink, key, ("visits",), rows)


async def _registered(session: AsyncSession) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    rows = await session.execute(
        select(StoreGroup.id, StoreGroup.stores).where(StoreGroup.tenant_id == current_tenant_id())
    )
    return {gid: frozenset(uuid.UUID(s) for s in stores) for gid, stores in rows.all()}


async def visit_recorded(
    session: AsyncSession,
    store_id: uuid.UUID,
    before: list[Visit],
    after: list[Visit],
    timezone: str,
) -> None:
    """A customer's visits went from ``before`` to ``after`` (a new visit at ``store_id``):
    each registered group holding that store changes by the difference."""
    for group, stores in (await _registered(session)).items():
        if store_id in stores:
            deltas = group_links(after, stores, timezone)
            deltas.subtract(group_links(before, stores, timezone))
            await _add(session, group, deltas)


async def _held(session: AsyncSession) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """The store sets of two stores or more that the tenant's working memberships hold."""
    rows = await session.scalars(
        select(Membership.store_ids).where(
            Membership.tenant_id == current_tenant_id(),
            Membership.active.is_(True),
            Membership.pending.is_(False),
        )
    )
    sets = {frozenset(uuid.UUID(s) for s in ids) for ids in rows.all() if ids and len(ids) > 1}
    return {group_id(stores): stores for stores in sets}


async def _complete(session: AsyncSession, group: uuid.UUID, stores: frozenset[uuid.UUID]) -> bool:
    o = ServiceOrder
    linked = await session.scalar(
        select(func.coalesce(func.sum(GroupLink.visits), 0)).where(
            GroupLink.tenant_id == current_tenant_id(), GroupLink.group_id == group
        )
    )
    visits = await session.scalar(
        select(func.count()).where(
            o.tenant_id == current_tenant_id(),
            o.status.in_(VISITS),
            not_internal(o.customer_id),
            o.store_id.in_(sorted(stores)),
        )
    )
    return int(linked or 0) == int(visits or 0)


async def refresh(session: AsyncSession, timezone: str, *, rebuild: bool = False) -> int:
    """Register the sets held now, drop the rest, and (re)build the links of the new ones,
    of any not accounting for every visit, or of all with ``rebuild``. The caller holds the
    tenant's link lock. Returns the groups held."""
    held, registered = await _held(session), await _registered(session)
    tenant_id = current_tenant_id()
    gone = sorted(set(registered) - set(held))
    if gone:
        await session.execute(
            delete(GroupLink).where(GroupLink.tenant_id == tenant_id, GroupLink.group_id.in_(gone))
        )
        await session.execute(
            delete(StoreGroup).where(StoreGroup.tenant_id == tenant_id, StoreGroup.id.in_(gone))
        )
    for group, stores in held.items():
        if group not in registered:
            session.add(StoreGroup(id=group, stores=sorted(str(store) for store in stores)))
            await session.flush()
        elif not rebuild and await _complete(session, group, stores):
            continue
        await session.execute(
            delete(GroupLink).where(GroupLink.tenant_id == tenant_id, GroupLink.group_id == group)
        )
        await link_rebuild.rebuild_group(session, timezone, group, sorted(stores))
    return len(held)
