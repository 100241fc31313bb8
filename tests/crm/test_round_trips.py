"""What one customer detail costs the database: one transaction, a round trip per question.

Issue 21's profile found 20 round trips per authenticated GET (11 of them authentication's)
where the bare stack makes 1. On PostgreSQL the edge now reads the caller's standing in the
request's own transaction, the tenant setting goes with the transaction's BEGIN, and the
customer comes with its derived figures in one statement: a regression that adds a
statement, a round trip or a transaction shows here first.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import event

from tests.conftest import ON_POSTGRES
from tests.crm.conftest import Crm


@ON_POSTGRES
async def test_a_customer_detail_is_one_transaction_of_four_round_trips(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a customer with a vehicle (so the derived lifecycle has something to read)
    customer = await crm.customer()
    await crm.vehicle(customer["id"])
    headers = await crm.headers()
    engine = crm.demo.runtime.engine.sync_engine
    statements: list[str] = []
    transactions: list[str] = []
    messages: list[str] = []
    simple_query = asyncpg.Connection.execute

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def on_begin(conn: Any) -> None:
        transactions.append("begin")

    async def recorded(self: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> Any:
        messages.append(query)
        return await simple_query(self, query, *args, **kw)

    monkeypatch.setattr(asyncpg.Connection, "execute", recorded)
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    try:
        # When the front desk opens the customer
        response = await crm.demo.client.get(f"/api/v1/customers/{customer['id']}", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)

    # Then it is served, in one transaction: BEGIN with the tenant setting (one message),
    # the caller's standing, the customer with visits, spend, lifecycle and scores, COMMIT
    assert response.status_code == 200, response.text
    assert response.json()["lifecycle"] in ("in_warranty", "out_of_warranty")
    assert len(transactions) == 1
    assert len(statements) == 2, statements
    assert "memberships" in statements[0]
    assert "customers" in statements[1] and "service_orders" in statements[1]
    assert len(messages) == 2, messages
    assert messages[0].startswith("BEGIN; SELECT set_config('pitstop.tenant_id', '")
    assert messages[1] == "COMMIT"
