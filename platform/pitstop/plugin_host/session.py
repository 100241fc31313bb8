"""``PluginSession``: the host's transaction, lent to a plugin without the power to end it.

A plugin runs inside a transaction the host opened - a request's, a delivery's (which also
marks the delivery done), a task's, the erase of a customer - and the host alone decides
whether it commits. Handing a plugin the raw ``AsyncSession`` let it ``commit()`` half a
request, or commit a delivery's effect without its ``done`` mark (a second effect on
redelivery). This wrapper lends the statements a plugin legitimately needs - reads,
writes, flushes and savepoints - and refuses ``commit``, ``rollback`` and ``close`` with
an error that says what to do instead.

A savepoint is the plugin's own unit of undo: ``async with ctx.session.begin_nested():``
releases it when the block ends and rolls back to it when the block raises (say an
``IntegrityError`` from a race on a unique key), while the host's transaction goes on.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, TypeVarTuple, overload

from sqlalchemy.engine import Result, ScalarResult
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.selectable import ForUpdateParameter, TypedReturnsRows

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None

ENDS_THE_TRANSACTION = frozenset(
    {"begin", "commit", "rollback", "close", "connection", "sync_session", "invalidate", "reset"}
)
"""What a plugin could end or reach around the host's transaction with: always refused."""


class TransactionNotYours(RuntimeError):
    """A plugin tried to end the host's transaction (commit, rollback or close)."""


def _refuse(verb: str) -> NoReturn:
    raise TransactionNotYours(
        f"a plugin cannot {verb} the host's transaction: the host commits it when the"
        " request, delivery or task ends, and rolls it back when your code raises. Raise an"
        " error to undo your writes, or use `async with ctx.session.begin_nested():` for a"
        " savepoint of your own (docs/plugins.md, The context)."
    )


class Savepoint:
    """A SAVEPOINT in the host's transaction, as an async context manager.

    Leaving the block normally releases it (its writes stay in the host's transaction);
    leaving it with an exception rolls back to it, and the exception goes on.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._nested: AsyncSessionTransaction = session.begin_nested()

    async def __aenter__(self) -> Savepoint:
        await self._nested.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._nested.__aexit__(exc_type, exc, traceback)

    async def rollback(self) -> None:
        """Undo what the block wrote so far; the host's transaction goes on."""
        await self._nested.rollback()


class PluginSession:
    """The tenant-scoped session of the host's transaction, as a plugin may use it."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @overload
    async def execute(
        self, statement: TypedReturnsRows[*Ts], params: Params = None
    ) -> Result[*Ts]: ...
    @overload
    async def execute(
        self, statement: Executable, params: Params = None
    ) -> Result[*tuple[Any, ...]]: ...
    async def execute(
        self, statement: Executable, params: Params = None
    ) -> Result[*tuple[Any, ...]]:
        return await self._session.execute(statement, params)

    @overload
    async def scalars(
        self, statement: TypedReturnsRows[T], params: Params = None
    ) -> ScalarResult[T]: ...
    @overload
    async def scalars(self, statement: Executable, params: Params = None) -> ScalarResult[Any]: ...
    async def scalars(self, statement: Executable, params: Params = None) -> ScalarResult[Any]:
        return await self._session.scalars(statement, params)

    @overload
    async def scalar(self, statement: TypedReturnsRows[T], params: Params = None) -> T | None: ...
    @overload
    async def scalar(self, statement: Executable, params: Params = None) -> Any: ...
    async def scalar(self, statement: Executable, params: Params = None) -> Any:
        return await self._session.scalar(statement, params)

    async def get(
        self,
        entity: type[T],
        ident: Any,
        *,
        options: Sequence[ORMOption] | None = None,
        populate_existing: bool = False,
        with_for_update: ForUpdateParameter = None,
    ) -> T | None:
        """A row by primary key (``(ctx.tenant_id, id)`` for a ``TenantModel``), or None."""
        return await self._session.get(
            entity,
            ident,
            options=options,
            populate_existing=populate_existing,
            with_for_update=with_for_update,
        )

    def add(self, instance: object) -> None:
        self._session.add(instance)

    def add_all(self, instances: Iterable[object]) -> None:
        self._session.add_all(instances)

    async def delete(self, instance: object) -> None:
        await self._session.delete(instance)

    async def flush(self, objects: Sequence[Any] | None = None) -> None:
        """Send pending writes now (to read generated values or hit a constraint early)."""
        await self._session.flush(objects)

    async def refresh(
        self,
        instance: object,
        attribute_names: Iterable[str] | None = None,
        with_for_update: ForUpdateParameter = None,
    ) -> None:
        await self._session.refresh(instance, attribute_names, with_for_update)

    def expire(self, instance: object, attribute_names: Iterable[str] | None = None) -> None:
        self._session.expire(instance, attribute_names)

    def begin_nested(self) -> Savepoint:
        """A savepoint: ``async with ctx.session.begin_nested():`` (see the module doc)."""
        return Savepoint(self._session)

    @property
    def dialect(self) -> str:
        """The database's dialect name (``"postgresql"``, ``"sqlite"``), for dialect SQL."""
        return self._session.get_bind().dialect.name

    def get_bind(self) -> Any:
        """Deprecated in SDK 1.1 (removed in 2.0): use :attr:`dialect`."""
        warnings.warn(
            "ctx.session.get_bind() is deprecated since SDK 1.1: use ctx.session.dialect",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._session.get_bind()

    async def commit(self) -> NoReturn:
        _refuse("commit")

    async def rollback(self) -> NoReturn:
        _refuse("roll back")

    async def close(self) -> NoReturn:
        _refuse("close")

    if not TYPE_CHECKING:  # at run time only: mypy sees the SDK 1.1 surface, nothing more

        def __getattr__(self, name: str) -> Any:
            """SDK 1.0 handed out the raw ``AsyncSession``: what it offered beyond the names
            above still works for 1.x plugins, with a warning, except what ends the host's
            transaction."""
            if name in ENDS_THE_TRANSACTION:
                _refuse(f"use session.{name} on")
            if name.startswith("_"):
                raise AttributeError(name)
            warnings.warn(
                f"ctx.session.{name} is not part of the plugin session (SDK 1.1); it goes"
                " in SDK 2.0",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(self._session, name)
