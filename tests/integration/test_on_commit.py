"""After-commit work and savepoints: what runs, and when.

A savepoint's release is no commit (nothing is visible to a worker yet), and its rollback
undoes its own callbacks only. The worker's batches run many handlers in one transaction,
and handlers use savepoints (membership claims a reward id in one), so both matter.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from pitstop.db.on_commit import on_commit
from pitstop.runtime import Runtime
from pitstop.tenancy.models import Tenant, TenantKind


def _tenant(slug: str) -> Tenant:
    return Tenant(slug=slug, name=slug, kind=TenantKind.chain)


async def test_a_released_savepoint_runs_nothing_before_the_commit(runtime: Runtime) -> None:
    ran: list[str] = []
    async with runtime.sessions() as session, session.begin():
        # Given a callback registered, then a savepoint released
        on_commit(session, lambda: ran.append("before"))
        async with session.begin_nested():
            on_commit(session, lambda: ran.append("inside"))
            session.add(_tenant(f"t-{uuid.uuid4().hex[:8]}"))
        # Then nothing has run while the transaction is still open
        assert ran == []
    # And both run once it commits
    assert ran == ["before", "inside"]


async def test_a_failed_savepoint_forgets_its_own_callbacks_only(runtime: Runtime) -> None:
    slug = f"t-{uuid.uuid4().hex[:8]}"
    ran: list[str] = []
    async with runtime.sessions() as session, session.begin():
        session.add(_tenant(slug))
        on_commit(session, lambda: ran.append("neighbour"))
        # When a savepoint's flush meets a unique key (its callback registered first)
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                on_commit(session, lambda: ran.append("failed"))
                session.add(_tenant(slug))
                await session.flush()
        # And another savepoint rolls back on an error of its own
        with pytest.raises(LookupError):
            async with session.begin_nested():
                on_commit(session, lambda: ran.append("raised"))
                raise LookupError("the handler gave up")
        on_commit(session, lambda: ran.append("after"))
    # Then the work registered outside them runs at the commit, theirs does not
    assert ran == ["neighbour", "after"]


async def test_a_rolled_back_transaction_runs_nothing(runtime: Runtime) -> None:
    ran: list[str] = []
    with pytest.raises(LookupError):
        async with runtime.sessions() as session, session.begin():
            on_commit(session, lambda: ran.append("lost"))
            async with session.begin_nested():
                on_commit(session, lambda: ran.append("inside"))
            raise LookupError("the transaction gave up")
    assert ran == []
