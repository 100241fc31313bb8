"""What one customer detail costs the database: one transaction, a statement per question.

Issue 21's profile found 20 round trips per authenticated GET (11 of them authentication's)
where the bare stack makes 1. On PostgreSQL the edge now reads the caller's standing in the
request's own transaction, and the customer comes with its derived figures in one
statement: a regression that adds a statement or a transaction shows here first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.conftest import ON_POSTGRES
from tests.crm.conftest import Crm


@ON_POSTGRES
async def test_a_customer_detail_is_one_transaction_of_three_statements(crm: Crm) -> None:
    # Given a customer with a vehicle (so the derived lifecycle has something to read)
    customer = await crm.customer()
    await crm.vehicle(customer["id"])
    headers = await crm.headers()
    engine = crm.demo.runtime.engine.sync_engine
    statements: list[str] = []
    transactions: list[str] = []

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    def on_begin(conn: Any) -> None:
        transactions.append("begin")

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    try:
        # When the front desk opens the customer
        response = await crm.demo.client.get(f"/api/v1/customers/{customer['id']}", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)

    # Then it is served, in one transaction: the tenant setting, the caller's standing, and
    # the customer with visits, spend, lifecycle and scores
    assert response.status_code == 200, response.text
    assert response.json()["lifecycle"] in ("in_warranty", "out_of_warranty")
    assert len(transactions) == 1
    assert len(statements) == 3, statements
    assert "set_config" in statements[0]
    assert "memberships" in statements[1]
    assert "customers" in statements[2] and "service_orders" in statements[2]
