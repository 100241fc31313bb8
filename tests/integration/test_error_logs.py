"""A failing SQL statement never puts a customer's values into the logs.

SQLAlchemy prints a failed statement's bound parameters in its error message, and
PostgreSQL adds its own ``DETAIL`` ("Key (tenant_id, phone)=(..., 139...) already
exists", "Failing row contains (..., 张三, 1987-06-05, ...)"). The redactor only knows
phones, ID numbers and e-mails, so a name, birthday or address went out whole in the
traceback of a 500. Here a real request and a worker-style stdlib logger meet real
database errors, on both databases, and the log output is searched for every value.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, text

from pitstop.app import create_app
from pitstop.crm import customers
from pitstop.crm.models import Customer
from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from tests.support.demo import Demo
from tests.support.factories import make_tenant

NAME = "司马相如"
BIRTHDAY = dt.date(1987, 6, 5)
ADDRESS = "上海市徐汇区漕溪北路八十八号"
PHONE = "13912345678"
PERSONAL = (NAME, ADDRESS, PHONE, "1987-06-05", "1987, 6, 5")


def _assert_no_personal_value(output: str) -> None:
    leaked = [value for value in PERSONAL if value in output]
    assert leaked == [], f"the log carries {leaked}"


async def test_a_500_from_a_unique_violation_logs_no_bound_value(
    capsys: pytest.CaptureFixture[str], demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a customer with a phone, and the phone check lost in a race (skipped here), so
    # the second insert meets the database's unique key with the customer's values bound
    headers = await demo.headers("hq_admin")
    body = {"name": NAME, "phone": PHONE, "birthday": BIRTHDAY.isoformat(), "address": ADDRESS}
    first = await demo.client.post("/api/v1/customers", json=body, headers=headers)
    assert first.status_code == 201, first.text

    async def no_check(*args: Any) -> None:
        return None

    monkeypatch.setattr(customers, "_check_phone_free", no_check)
    # And the app assembled now, so its logging writes where this test reads
    async with AsyncTestClient(app=create_app(runtime=demo.runtime)) as client:
        capsys.readouterr()
        # When the same customer is created again
        second = await client.post("/api/v1/customers", json=body, headers=headers)
    # Then the request fails with a 500 whose traceback is logged...
    assert second.status_code == 500
    output = capsys.readouterr().err
    assert "unhandled_error" in output and "IntegrityError" in output
    # ...naming the statement and the constraint, but no value that was bound into it
    assert "INSERT INTO customers" in output
    _assert_no_personal_value(output)


async def test_a_stdlib_logged_database_error_carries_no_bound_value(
    capsys: pytest.CaptureFixture[str], runtime: Runtime
) -> None:
    # Given logging as the assembled app leaves it, and a worker-style stdlib logger
    # (Dramatiq logs failed messages this way, in the API process too when embedded)
    create_app(runtime=runtime)
    capsys.readouterr()
    alpha, _ = await make_tenant(runtime, "alpha", stores=0)
    worker_log = logging.getLogger("dramatiq.worker.WorkerThread")
    # When a statement with a customer's values fails a NOT NULL rule, and another fails
    # with a message the database writes around the value itself, and both are logged
    statements = [
        insert(Customer).values(
            id=uuid.uuid4(), name=NAME, birthday=BIRTHDAY, address=ADDRESS, source=None
        ),
        text(
            "SELECT CAST(:name AS date)"  # PostgreSQL: invalid input syntax ... "司马相如"
            if runtime.settings.is_postgres
            else "SELECT json_extract(:name, '$.x')"  # SQLite: malformed JSON
        ).bindparams(name=NAME),
    ]
    for statement in statements:
        try:
            async with runtime.sessions() as session, session.begin():
                with tenant_scope(alpha):
                    await session.execute(statement)
        except Exception:
            worker_log.exception("Failed to process message")
    # Then both lines and their tracebacks are there, but none of the values
    output = capsys.readouterr().err
    assert output.count("Failed to process message") == 2
    assert "IntegrityError" in output and "[SQL: SELECT" in output
    _assert_no_personal_value(output)
