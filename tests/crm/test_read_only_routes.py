"""Routes declared ``reads_only``: deferred on SQLite, and refused any write.

Issue 21 measured embedded GETs queueing on SQLite's write lock because every request
transaction began ``IMMEDIATE``, reads included (p99 over a second at 8 connections). A
route that only reads now says so; its transaction begins deferred (WAL readers never wait
for the writer), and the ORM wall refuses a write in it, so a route that starts writing
fails here rather than with "database is locked" under load.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import update

from pitstop.crm.models import Customer
from pitstop.db.guard import READ_ONLY_SESSION, WriteInReadOnly
from pitstop.db.tenant_context import tenant_scope
from tests.crm.conftest import Crm

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


async def test_a_customer_detail_is_served_while_a_writer_holds_the_lock(crm: Crm) -> None:
    # Given a customer, and another connection holding SQLite's write lock
    customer = await crm.customer()
    headers = await crm.headers()
    path = crm.demo.runtime.settings.database_url.split("///", 1)[1]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        # When the front desk opens the customer, its vehicle and its order list's detail
        response = await crm.demo.client.get(f"/api/v1/customers/{customer['id']}", headers=headers)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # Then it is served without waiting for the writer (IMMEDIATE would queue, then fail)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == customer["id"]


async def test_a_write_in_a_read_only_transaction_is_refused(crm: Crm) -> None:
    # Given a session whose transaction was declared read-only
    customer = await crm.customer()
    with tenant_scope(crm.tenant_id):
        async with crm.demo.runtime.sessions() as session:
            session.info[READ_ONLY_SESSION] = True
            # When it changes a row through the ORM, or by a statement
            found = await session.get(Customer, (crm.tenant_id, uuid.UUID(customer["id"])))
            assert found is not None
            found.name = "改名"
            # Then both are refused before reaching the database
            with pytest.raises(WriteInReadOnly):
                await session.flush()
            await session.rollback()
            with pytest.raises(WriteInReadOnly):
                await session.execute(update(Customer).values(name="改名"))
