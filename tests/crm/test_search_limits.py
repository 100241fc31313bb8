"""No de-masking through search: searches by a class one sees masked are limited and audited.

A technician sees phones as ``+86 139****2002``; the search box answers "is there a customer
with this phone?", so 10,000 guesses at the hidden digits would recover the number. The
searches a role makes by a class it sees masked are counted per user (30 a minute, 300 a
day, then 429 with ``Retry-After``) and audited as ``customer.search`` with the class and a
keyed hash of the query, never the query. Runs on SQLite and PostgreSQL, under the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable

from sqlalchemy import select

from pitstop.access.models import AuditEntry
from pitstop.db.tenant_context import tenant_scope
from tests.conftest import SECRET
from tests.crm.conftest import Crm

START = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def injected_clock(crm: Crm) -> Callable[[float], None]:
    """Freeze the runtime's clock at START; the returned function moves it on (seconds)."""
    now = [START]
    crm.demo.runtime.clock.set(lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += dt.timedelta(seconds=seconds)

    return advance


async def _searches(crm: Crm) -> list[AuditEntry]:
    async with crm.demo.runtime.sessions() as session:
        with tenant_scope(crm.tenant_id):
            rows = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "customer.search")
                .order_by(AuditEntry.at, AuditEntry.id)
            )
            return list(rows.all())


async def test_the_demask_script_finds_nothing_within_the_limits(crm: Crm) -> None:
    # Given a customer whose phone a technician sees as +86 139****2002
    advance = injected_clock(crm)
    victim = await crm.customer(phone="13998762002")
    headers = await crm.headers("technician")
    shown = await crm.demo.client.get(f"/api/v1/customers/{victim['id']}", headers=headers)
    assert shown.json()["phone"] == "+86 139****2002"
    # When the technician runs the demask script: every candidate for the four hidden
    # digits, in order, waiting out each Retry-After shorter than an hour as a patient
    # attacker would, until the limits say "tomorrow"
    found, answered, refusal = None, 0, None
    for candidate in (f"139{n:04d}2002" for n in range(10_000)):
        while True:
            response = await crm.demo.client.get(
                f"/api/v1/customers?q={candidate}", headers=headers
            )
            if response.status_code != 429:
                break
            refusal = response
            wait = int(response.headers["Retry-After"])
            if wait > 3600:
                break
            advance(wait)
        if response.status_code == 429:
            break
        assert response.status_code == 200, response.text
        answered += 1
        if response.json()["items"]:
            found = candidate
            break
    # Then the script found nothing: 300 guesses answered in the day, then a problem+json
    # 429 whose Retry-After points at the next day
    assert found is None
    assert answered == 300
    assert refusal is not None and refusal.headers["content-type"].startswith(
        "application/problem+json"
    )
    body = refusal.json()
    assert body["status"] == 429 and body["code"] == "search_limited"
    assert 23 * 3600 < int(refusal.headers["Retry-After"]) <= 24 * 3600
    assert "2002" not in json.dumps(body)
    # And every answered search is in the audit log: the class and a keyed hash, no value
    audited = await _searches(crm)
    assert len(audited) == 300
    first = audited[0]
    assert first.actor_id is not None and first.detail["classes"] == ["phone"]
    message = b"customer.search\x0013900002002"
    expected = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    assert first.detail["query_hash"] == expected
    assert all(
        "2002" not in json.dumps(a.detail).replace(a.detail["query_hash"], "") for a in audited
    )


async def test_the_minute_limit_answers_429_and_frees_up_as_the_clock_moves(crm: Crm) -> None:
    # Given an analyst (phones and plates masked) and the clock frozen
    advance = injected_clock(crm)
    headers = await crm.headers("hq_analyst")
    # When they search by last four digits 30 times in a minute, then once more
    codes = [
        (await crm.demo.client.get(f"/api/v1/customers?q={n:04d}", headers=headers)).status_code
        for n in range(31)
    ]
    # Then the first 30 are answered and the 31st is a 429 for the rest of the minute
    assert codes == [200] * 30 + [429]
    refused = await crm.demo.client.get("/api/v1/customers?q=0000", headers=headers)
    assert refused.headers["Retry-After"] == "60"
    # And a vehicle search by plate counts against the same budget
    plate = await crm.demo.client.get("/api/v1/vehicles?q=沪A12345", headers=headers)
    assert plate.status_code == 429
    # And once the minute has passed the analyst may search again
    advance(60)
    again = await crm.demo.client.get("/api/v1/customers?q=0000", headers=headers)
    assert again.status_code == 200, again.text


async def test_roles_that_see_a_class_in_full_are_not_limited_for_it(crm: Crm) -> None:
    # Given the clock frozen, a store manager (sees every class) and a technician (plates)
    injected_clock(crm)
    manager, tech = await crm.headers("store_manager"), await crm.headers("technician")
    # When the manager searches by phone and the technician by plate, 40 times each
    phone_codes = {
        (await crm.demo.client.get(f"/api/v1/customers?q={n:04d}", headers=manager)).status_code
        for n in range(40)
    }
    plate_codes = {
        (await crm.demo.client.get(f"/api/v1/customers?q=沪A{n:05d}", headers=tech)).status_code
        for n in range(40)
    }
    # Then none is refused and nothing is counted against them
    assert phone_codes == {200} and plate_codes == {200}
    assert await _searches(crm) == []
