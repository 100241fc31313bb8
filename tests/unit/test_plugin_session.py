"""``PluginSession`` lends the host's transaction: statements yes, ending it never."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pitstop.sdk import PluginSession, Savepoint, TransactionNotYours


@pytest.mark.parametrize("verb", ["commit", "rollback", "close"])
async def test_ending_the_transaction_is_refused_with_what_to_do_instead(verb: str) -> None:
    # Given a plugin session over the host's session
    session = PluginSession(AsyncSession())
    # When a plugin tries to end the transaction
    with pytest.raises(TransactionNotYours) as refused:
        await getattr(session, verb)()
    # Then the error says the host owns it and points at savepoints
    assert "host's transaction" in str(refused.value)
    assert "begin_nested" in str(refused.value)


@pytest.mark.parametrize("name", ["begin", "connection", "sync_session", "invalidate"])
def test_the_ways_around_the_wrapper_are_refused(name: str) -> None:
    # Given a plugin session
    session = PluginSession(AsyncSession())
    # When a plugin reaches for what could end the transaction behind its back
    # Then it is refused, whatever SDK 1.0 allowed
    with pytest.raises(TransactionNotYours):
        getattr(session, name)


def test_other_asyncsession_names_still_work_for_10_plugins_with_a_warning() -> None:
    # Given a plugin written for SDK 1.0, which got the raw AsyncSession
    raw = AsyncSession()
    session = PluginSession(raw)
    # When it uses a name the plugin session does not lend
    with pytest.warns(DeprecationWarning, match=r"ctx\.session\.expunge_all"):
        expunge_all = session.expunge_all
    # Then it still reaches the host's session (removed in SDK 2.0)
    assert expunge_all == raw.expunge_all


def test_begin_nested_is_a_savepoint_not_the_raw_transaction() -> None:
    # Given a plugin session
    session = PluginSession(AsyncSession())
    # When a plugin asks for a savepoint
    savepoint = session.begin_nested()
    # Then it gets the SDK's savepoint, which hands out no session to commit
    assert isinstance(savepoint, Savepoint)
    assert not hasattr(savepoint, "session")


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


async def test_a_savepoint_is_released_raised_through_or_rolled_back_by_hand() -> None:
    # Given the host's open transaction, lent to a plugin
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
    async with AsyncSession(engine) as raw, raw.begin():
        session = PluginSession(raw)
        session.add(_Row(id=1))
        # When one block raises, one rolls back by hand and one ends normally
        with pytest.raises(LookupError):
            async with session.begin_nested():
                session.add(_Row(id=2))
                await session.flush()
                raise LookupError
        async with session.begin_nested() as savepoint:
            session.add(_Row(id=3))
            await session.flush()
            await savepoint.rollback()
        async with session.begin_nested():
            session.add(_Row(id=4))
        # Then only the writes outside the undone savepoints remain in the transaction
        assert sorted((await session.scalars(select(_Row.id))).all()) == [1, 4]
    await engine.dispose()
