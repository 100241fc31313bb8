"""The nightly rebuild of the board's flat rows, set-based: one ``INSERT ... SELECT`` per table.

``visit_links`` and ``retention_days`` are rebuilt from the tenant's orders inside the
database, by window functions over the visits, on PostgreSQL and SQLite alike: no visit
travels to Python, so the rebuild's memory does not grow with the chain, and its time is
the database's sort of one tenant's orders. The rebuild runs per tenant (the nightly job
visits tenants one by one), so a statement never holds more than one tenant's visits.

The SQL says what :func:`pitstop.crm.visit_links.links` and
:func:`pitstop.crm.retention_days.deltas` say for one customer at a time (the order-time
path still uses those); tests/insights/test_link_rebuild.py holds the two equal.

Retention's intervals come without unions and intersections. For a customer's distinct visit
days ``t1 < t2 < ...`` in a scope, with ``A(t)`` the first board day whose last 12 months
begin after ``t`` and ``Z(t)`` the last whose 24 months begin on or before it (both
non-decreasing in ``t``):

* the customer is *seen* on ``L`` when the latest visit with ``A(tj) <= L`` has ``L <= Z(tj)``:
  one piece per visit, ``[A(tj), min(Z(tj), A(tj+1) - 1)]``;
* and *back* when, besides, the visit after it is in ``[W, L]``: ``[max(A(tj), tj+1),
  min(Z(tj), A(tj+1) - 1)]``.

Each ``L`` has one such ``j``, so the pieces never overlap and their +1/-1 marks sum to the
same running sums as the unions do. ``A(t)`` is "the day after ``t``, a year on, less a
day", and ``Z(t)`` "two years on, less two days", where a year on from 29 February is
1 March (the clamped look-back of :func:`pitstop.tenancy.periods.add_months`, inverted).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Date, String, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.crm.internal import internal_customer_id
from pitstop.crm.models import OrderStatus
from pitstop.crm.retention_days import CHAIN
from pitstop.db.engine import LOCAL_DAY_FUNCTION
from pitstop.db.tenant_context import current_tenant_id

NEVER = dt.date(1, 1, 1)
"""``previous_day`` of a customer's first visit in the scope."""
OPEN = dt.date(9999, 12, 31)
"""``next_day`` of a customer's latest visit in the scope."""


@dataclass(frozen=True)
class Dialect:
    """The few expressions the two databases spell differently."""

    postgresql: bool

    def local_day(self, column: str) -> str:
        if self.postgresql:
            return f"({column} AT TIME ZONE :timezone)::date"
        return f"{LOCAL_DAY_FUNCTION}({column}, :timezone)"

    def plus_days(self, day: str, days: int) -> str:
        return f"({day} + {days})" if self.postgresql else f"date({day}, '{days:+d} days')"

    def years_on(self, day: str, years: int) -> str:
        """The same day ``years`` later, 29 February becoming 1 March (SQLite's own
        overflow; PostgreSQL clamps to the 28th, so a day is added back)."""
        if not self.postgresql:
            return f"date({day}, '+{12 * years} months')"
        shifted = f"({day} + interval '{years} years')::date"
        return f"CASE WHEN to_char({day}, 'MM-DD') = '02-29' THEN {shifted} + 1 ELSE {shifted} END"

    def least(self, a: str, b: str) -> str:
        return f"least({a}, {b})" if self.postgresql else f"min({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})" if self.postgresql else f"max({a}, {b})"

    def uuid(self, parameter: str) -> str:
        return f"CAST(:{parameter} AS uuid)" if self.postgresql else f":{parameter}"

    @property
    def new_id(self) -> str:
        return "gen_random_uuid()" if self.postgresql else "lower(hex(randomblob(16)))"

    def first_after_year(self, day: str) -> str:
        """``A(t)``: the first board day whose last 12 months begin after ``t``."""
        return self.plus_days(self.years_on(self.plus_days(day, 1), 1), -1)

    def last_within_two_years(self, day: str) -> str:
        """``Z(t)``: the last board day whose 24 months begin on or before ``t``."""
        return self.plus_days(self.years_on(self.plus_days(day, 1), 2), -2)


def _visits(d: Dialect, only: str = "") -> str:
    return f"""visits AS (
    SELECT customer_id, store_id, id, completed_at, {d.local_day("completed_at")} AS day
    FROM service_orders
    WHERE tenant_id = {d.uuid("tenant")} AND status IN (:completed, :refunded)
      AND customer_id <> {d.uuid("internal")}{only}
)"""


def links_sql(d: Dialect) -> str:
    """Every visit's neighbours, anywhere in the chain and at its store, counted by key."""
    return f"""WITH {_visits(d)}, linked AS (
    SELECT 1 AS chain, store_id, day,
           coalesce(lag(day) OVER anywhere, :never) AS previous_day,
           coalesce(lead(day) OVER anywhere, :open) AS next_day
    FROM visits
    WINDOW anywhere AS (PARTITION BY customer_id ORDER BY completed_at, id)
    UNION ALL
    SELECT 0, store_id, day,
           coalesce(lag(day) OVER here, :never),
           coalesce(lead(day) OVER here, :open)
    FROM visits
    WINDOW here AS (PARTITION BY customer_id, store_id ORDER BY completed_at, id)
)
INSERT INTO visit_links (tenant_id, id, chain, store_id, day, previous_day, next_day, visits)
SELECT {d.uuid("tenant")}, {d.new_id}, chain = 1, store_id, day, previous_day, next_day, count(*)
FROM linked
GROUP BY chain, store_id, day, previous_day, next_day"""


def group_links_sql(d: Dialect) -> str:
    """Every visit to a group's stores with its neighbours among those stores."""
    return f"""WITH {_visits(d, " AND store_id IN :stores")}, linked AS (
    SELECT day,
           coalesce(lag(day) OVER here, :never) AS previous_day,
           coalesce(lead(day) OVER here, :open) AS next_day
    FROM visits
    WINDOW here AS (PARTITION BY customer_id ORDER BY completed_at, id)
)
INSERT INTO group_links (tenant_id, id, group_id, day, previous_day, next_day, visits)
SELECT {d.uuid("tenant")}, {d.new_id}, {d.uuid("group")}, day, previous_day, next_day, count(*)
FROM linked
GROUP BY day, previous_day, next_day"""


def retention_sql(d: Dialect) -> str:
    """The running-sum marks of 12-month retention, chain and per store (module docstring)."""
    a, z = d.first_after_year("day"), d.last_within_two_years("day")
    next_a_less_one = d.plus_days("next_a", -1)
    last = f"CASE WHEN next_a IS NULL THEN z ELSE {d.least('z', next_a_less_one)} END"
    return f"""WITH {_visits(d)}, days AS (
    SELECT customer_id, {d.uuid("chain_store")} AS store_id, day FROM visits
    UNION
    SELECT customer_id, store_id, day FROM visits
), marked AS (
    SELECT customer_id, store_id, day, {a} AS a, {z} AS z FROM days
), linked AS (
    SELECT store_id, day, a, z,
           lead(day) OVER later AS next_day, lead(a) OVER later AS next_a
    FROM marked
    WINDOW later AS (PARTITION BY customer_id, store_id ORDER BY day)
), pieces AS (
    SELECT store_id, 1 AS seen, 0 AS back, a AS first, {last} AS last FROM linked
    UNION ALL
    SELECT store_id, 0, 1, {d.greatest("a", "next_day")}, {last}
    FROM linked WHERE next_day IS NOT NULL
), marks AS (
    SELECT store_id, first AS day, seen, back FROM pieces WHERE first <= last
    UNION ALL
    SELECT store_id, {d.plus_days("last", 1)}, -seen, -back FROM pieces WHERE first <= last
)
INSERT INTO retention_days (tenant_id, id, store_id, day, seen, back)
SELECT {d.uuid("tenant")}, {d.new_id}, store_id, day, sum(seen), sum(back)
FROM marks
GROUP BY store_id, day
HAVING sum(seen) <> 0 OR sum(back) <> 0"""


def _values(timezone: str) -> dict[str, Any]:
    return {
        "tenant": current_tenant_id(),
        "internal": internal_customer_id(),
        "timezone": timezone,
        "completed": OrderStatus.completed.value,
        "refunded": OrderStatus.refunded.value,
        "never": NEVER,
        "open": OPEN,
    }


def _days() -> list[BindParameter[Any]]:
    return [bindparam("never", type_=Date), bindparam("open", type_=Date)]


async def rebuild_group(
    session: AsyncSession, timezone: str, group: uuid.UUID, stores: list[uuid.UUID]
) -> None:
    """Insert a store group's links (the caller has emptied them and holds the lock)."""
    d = Dialect(postgresql=session.get_bind().dialect.name == "postgresql")
    statement = text(group_links_sql(d)).bindparams(
        *_common(),
        *_days(),
        bindparam("group", type_=Uuid),
        bindparam("stores", type_=Uuid, expanding=True),
    )
    await session.execute(statement, {**_values(timezone), "group": group, "stores": stores})


async def rebuild(session: AsyncSession, timezone: str) -> None:
    """Insert the tenant's links and retention marks from its orders (the caller has
    emptied both tables and holds the tenant's link lock)."""
    d = Dialect(postgresql=session.get_bind().dialect.name == "postgresql")
    values = _values(timezone)
    links = text(links_sql(d)).bindparams(*_common(), *_days())
    await session.execute(links, values)
    retention = text(retention_sql(d)).bindparams(*_common(), bindparam("chain_store", type_=Uuid))
    await session.execute(retention, {**values, "chain_store": CHAIN})


def _common() -> list[BindParameter[Any]]:
    return [
        bindparam("tenant", type_=Uuid),
        bindparam("internal", type_=Uuid),
        bindparam("timezone", type_=String),
        bindparam("completed", type_=String),
        bindparam("refunded", type_=String),
    ]
