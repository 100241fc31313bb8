"""PostgreSQL: the transaction's tenant setting sent with its ``BEGIN``, in one round trip.

Row-level security reads ``pitstop.tenant_id``, set with ``set_config(..., true)`` at the
start of each transaction (:mod:`pitstop.db.guard`). As a statement of its own that was a
round trip per request, and SQLAlchemy's asyncpg adapter sends ``BEGIN`` as another, just
before the first statement. This adapter holds the setting until that ``BEGIN`` and sends
both as one simple-query message (``BEGIN; SELECT set_config(...)``): PostgreSQL runs them
in order, so the first statement already meets the setting.

What is held is forgotten when the transaction ends, however it ends (commit, rollback,
the pool's reset), so a connection never carries a tenant into a transaction that did not
ask for it. Anything unusual (an isolation level, read-only, autocommit) takes the
adapter's own path and sends the setting as its own statement, as before.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.util.concurrency import await_

_SETTING = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$")


def setting_statement(tenant: str) -> str:
    """The ``set_config`` for ``tenant`` (a UUID's text, or "" for none), inline: a
    simple-query message carries no parameters, so the value is checked to be a UUID."""
    if not _SETTING.match(tenant):
        raise ValueError("the tenant setting must be a UUID or empty")
    return f"SELECT set_config('pitstop.tenant_id', '{tenant}', true)"


class _Begun:
    """The transaction a combined ``BEGIN`` opened, ended by plain statements (asyncpg's
    own transaction object only ends transactions it began)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def start(self) -> None:
        """Begun already, by the combined message."""

    async def commit(self) -> None:
        await self._connection.execute("COMMIT")

    async def rollback(self) -> None:
        await self._connection.execute("ROLLBACK")


class TenantBeginConnection(AsyncAdapt_asyncpg_connection):
    """SQLAlchemy's asyncpg adapter, holding a statement to send with the next ``BEGIN``."""

    __slots__ = ("with_begin",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.with_begin: str | None = None

    def hold(self, statement: str) -> bool:
        """Send ``statement`` with the coming ``BEGIN``; False when it has been sent."""
        if self._transaction is not None:
            return False
        self.with_begin = statement
        return True

    async def _start_transaction(self) -> None:
        statement, self.with_begin = self.with_begin, None
        driver: Any = self._connection
        plain = self.isolation_level is None and not self.readonly and not self.deferrable
        if statement is None or not plain:
            await super()._start_transaction()
            if statement is not None and self._transaction is not None:
                await driver.execute(statement)
            return
        # Tracked before sending: should the setting fail after BEGIN succeeded, the
        # rollback that follows must still end the (aborted) transaction on the server.
        self._transaction = _Begun(driver)
        try:
            await driver.execute(f"BEGIN; {statement}")
        except Exception as error:
            self._handle_exception(error)

    def commit(self) -> None:
        self.with_begin = None
        super().commit()

    def rollback(self) -> None:
        self.with_begin = None
        super().rollback()


class TenantBeginDBAPI(AsyncAdapt_asyncpg_dbapi):
    """The asyncpg DBAPI shim, making :class:`TenantBeginConnection` connections."""

    def connect(self, *arg: Any, **kw: Any) -> Any:
        creator = kw.pop("async_creator_fn", self.asyncpg.connect)
        cache_size = kw.pop("prepared_statement_cache_size", 100)
        name_func = kw.pop("prepared_statement_name_func", None)
        return await_(
            TenantBeginConnection.create(
                self,
                creator(*arg, **kw),
                prepared_statement_cache_size=cache_size,
                prepared_statement_name_func=name_func,
            )
        )


def tenant_begin_dbapi() -> TenantBeginDBAPI:
    return TenantBeginDBAPI(asyncpg)
