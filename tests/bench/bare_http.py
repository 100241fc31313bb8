"""The bare stack Pitstop stands on, doing the same SQL as the app role: the HTTP baseline.

Litestar + asyncpg + msgspec, no ORM, no authentication, no masking: each request takes
a pooled connection, opens a transaction, sets the tenant for row-level security and runs
the statements Pitstop's route runs (the customer with its derived figures; a page of
them; a phone check, the customer's INSERT and its outbox event). Served by the same
uvicorn as Pitstop, one worker, so ``tests/bench/test_bench_http.py`` compares the
platform's overhead, not the server's. The tenant comes from ``BENCH_TENANT_ID``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Router, get, post
from litestar.datastructures import State

SET_TENANT = "SELECT set_config('pitstop.tenant_id', $1, true)"
DERIVED = """
SELECT c.id, c.name, c.phone, c.gender, c.birthday, c.id_number, c.email, c.address,
       c.city, c.region, c.occupation, c.usage, c.source, c.home_store_id, c.tags,
       c.marketing_consent, c.consent_at, c.consent_channel, c.erased_at, c.created_at,
       c.updated_at,
       (SELECT count(*) FROM service_orders o WHERE o.tenant_id = c.tenant_id
          AND o.customer_id = c.id AND o.status IN ('completed', 'refunded')) AS visits,
       (SELECT coalesce(sum(o.total) FILTER (WHERE o.status = 'completed'), 0)
          FROM service_orders o WHERE o.tenant_id = c.tenant_id AND o.customer_id = c.id
          AND o.status IN ('completed', 'refunded')) AS spend,
       (SELECT max(o.completed_at) FROM service_orders o WHERE o.tenant_id = c.tenant_id
          AND o.customer_id = c.id AND o.status IN ('completed', 'refunded')) AS last_visit,
       CASE WHEN NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.tenant_id = c.tenant_id
                              AND v.customer_id = c.id) THEN 'no_vehicle'
            WHEN (SELECT v.warranty_end FROM vehicles v WHERE v.tenant_id = c.tenant_id
                  AND v.customer_id = c.id ORDER BY v.purchase_date DESC NULLS LAST,
                  v.id DESC LIMIT 1) >= current_date THEN 'in_warranty'
            ELSE 'out_of_warranty' END AS lifecycle,
       r.r, r.f, r.m, r.segment, r.computed_at
FROM customers c
LEFT JOIN customer_rfm r ON r.tenant_id = c.tenant_id AND r.customer_id = c.id
"""
ONE = DERIVED + " WHERE c.tenant_id = $1 AND c.id = $2"
PAGE = DERIVED + " WHERE c.tenant_id = $1 ORDER BY c.id LIMIT $2"
PHONE_TAKEN = "SELECT id FROM customers WHERE tenant_id = $1 AND phone = $2"
INSERT_CUSTOMER = """
INSERT INTO customers (tenant_id, id, name, phone, phone_last4, occupation, usage, source,
                       tags, marketing_consent, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, 'other', 'private', 'walk_in', '[]', false, $6, $6)
"""
INSERT_EVENT = """
INSERT INTO outbox_events (tenant_id, id, type, payload, occurred_at)
VALUES ($1, $2, 'customer.created', $3, $4)
"""


class NewCustomer(msgspec.Struct):
    name: str
    phone: str


def _out(row: asyncpg.Record) -> dict[str, Any]:
    return {key: _plain(value) for key, value in row.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | dt.date | dt.datetime):
        return str(value)
    return value


@get("/customers/{customer_id:uuid}")
async def one(customer_id: uuid.UUID, state: State) -> dict[str, Any]:
    async with state.pool.acquire() as connection, connection.transaction():
        await connection.execute(SET_TENANT, str(state.tenant))
        row = await connection.fetchrow(ONE, state.tenant, customer_id)
    return _out(row)


@get("/customers")
async def page(state: State, limit: int = 50) -> dict[str, Any]:
    async with state.pool.acquire() as connection, connection.transaction():
        await connection.execute(SET_TENANT, str(state.tenant))
        rows = await connection.fetch(PAGE, state.tenant, limit + 1)
    return {"items": [_out(r) for r in rows[:limit]]}


@post("/customers", status_code=201)
async def create(data: NewCustomer, state: State) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    customer_id = uuid.uuid4()
    async with state.pool.acquire() as connection, connection.transaction():
        await connection.execute(SET_TENANT, str(state.tenant))
        if await connection.fetchval(PHONE_TAKEN, state.tenant, data.phone) is not None:
            return {"error": "duplicate"}
        await connection.execute(
            INSERT_CUSTOMER, state.tenant, customer_id, data.name, data.phone, data.phone[-4:], now
        )
        payload = json.dumps({"customer_id": str(customer_id)})
        await connection.execute(INSERT_EVENT, state.tenant, uuid.uuid4(), payload, now)
    return {"id": str(customer_id), "name": data.name}


async def _open(app: Litestar) -> None:
    dsn = os.environ["PITSTOP_DATABASE_URL"].replace("postgresql+asyncpg", "postgresql")
    app.state.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
    app.state.tenant = uuid.UUID(os.environ["BENCH_TENANT_ID"])


async def _close(app: Litestar) -> None:
    await app.state.pool.close()


def create_app() -> Litestar:
    api = Router(path="/api/v1", route_handlers=[one, page, create])
    return Litestar([api], on_startup=[_open], on_shutdown=[_close])
