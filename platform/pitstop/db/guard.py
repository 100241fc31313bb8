"""The ORM wall: every ORM statement is filtered to, and writes only, the tenant in context.

``do_orm_execute`` adds ``with_loader_criteria(TenantModel, tenant_id == current)`` to every
SELECT, UPDATE and DELETE that touches a tenant table; with no tenant in context it raises
instead of returning every tenant's rows. INSERTs and the values of UPDATEs are checked by
:mod:`pitstop.db.tenant_values` (stamped with the tenant, or refused when they name
another). Statements written against a tenant ``Table`` instead of its mapped class are
refused under a tenant: loader criteria only reach mapped entities, so such a statement
would read or change every tenant's rows on SQLite. ``before_flush`` stamps ``tenant_id``
on new objects and refuses objects of another tenant.

The listeners hang off the project's own session class (:func:`install_orm_wall`, called
for ``PitstopSession``), never off SQLAlchemy's global ``Session``: another library using
SQLAlchemy in the same process keeps its own rules.

On PostgreSQL the same tenant is also set with ``set_config('pitstop.tenant_id', ..., true)``
at the start of each transaction, so raw SQL that slips past the ORM still meets row-level
security (the database wall).
"""

from __future__ import annotations

import functools
import uuid
import weakref
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import (
    Mapper,
    ORMExecuteState,
    Session,
    SessionTransaction,
    with_loader_criteria,
)
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from pitstop.db.base import TenantModel, tenant_tables
from pitstop.db.pg_begin import TenantBeginConnection, setting_statement
from pitstop.db.tenant_context import (
    TenantContextMissing,
    current_context,
    in_system_scope,
    maybe_tenant_id,
)
from pitstop.db.tenant_values import CrossTenantWrite, check_insert, check_update

__all__ = [
    "READ_ONLY_SESSION",
    "CrossTenantWrite",
    "UnfilteredStatement",
    "WriteInReadOnly",
    "install_orm_wall",
]

READ_ONLY_SESSION = "pitstop_read_only_session"
"""``session.info`` key: the session's transaction was declared to only read (a route's
``reads_only``, :mod:`pitstop.db.engine`); a write in it is refused."""


class UnfilteredStatement(RuntimeError):
    """A statement names a tenant table through its ``Table``: the tenant filter cannot apply."""


class WriteInReadOnly(RuntimeError):
    """A write in a transaction declared read-only: on SQLite it began deferred, and its
    write would fail with "database is locked" whenever another writer got there first."""


def _refuse_writes(session: Session, what: str) -> None:
    if session.info.get(READ_ONLY_SESSION):
        raise WriteInReadOnly(f"{what} in a transaction declared reads_only")


def install_orm_wall(session_class: type[Session]) -> None:
    """Filter, stamp and check every statement and flush of ``session_class`` sessions."""
    event.listen(session_class, "do_orm_execute", _filter_by_tenant)
    event.listen(session_class, "before_flush", _stamp_and_check)


_SHAPES: weakref.WeakKeyDictionary[Any, tuple[frozenset[str], bool]] = weakref.WeakKeyDictionary()
_REFUSALS: weakref.WeakKeyDictionary[Any, tuple[frozenset[str], str]] = weakref.WeakKeyDictionary()
"""The wall's decisions about a statement, kept while the statement lives.

Both depend on nothing but the statement's shape (which tables it names, and how) and the
set of tenant tables, and SQLAlchemy statements are immutable: a statement built once and
run with new parameters each time (authentication's, the customer detail's) is walked
once, not on every execute. An entry made before a plugin added tables is not reused.
"""
_SHAPES_BY_KEY: dict[Any, tuple[frozenset[str], bool]] = {}
_REFUSALS_BY_KEY: dict[Any, tuple[frozenset[str], str]] = {}
"""The same decisions for statements built anew for each request (a page's filters), by
SQLAlchemy's cache key: equal keys compile to the same SQL, so they name the same tables
the same way (a column's ORM annotations are part of its key). Bounded like SQLAlchemy's
own compiled cache: cleared when full."""
_BY_KEY_SIZE = 2000


def _decision(
    statement: Any,
    by_statement: weakref.WeakKeyDictionary[Any, tuple[frozenset[str], Any]],
    by_key: dict[Any, tuple[frozenset[str], Any]],
    names: frozenset[str],
) -> tuple[frozenset[str], Any] | None:
    cached = by_statement.get(statement)
    if cached is None:
        key = _shape_key(statement)
        cached = None if key is None else by_key.get(key)
        if cached is not None:
            by_statement[statement] = cached
    return cached if cached is not None and cached[0] is names else None


def _remember(
    statement: Any,
    by_statement: weakref.WeakKeyDictionary[Any, tuple[frozenset[str], Any]],
    by_key: dict[Any, tuple[frozenset[str], Any]],
    decision: tuple[frozenset[str], Any],
) -> None:
    by_statement[statement] = decision
    key = _shape_key(statement)
    if key is not None:
        if len(by_key) >= _BY_KEY_SIZE:
            by_key.clear()
        by_key[key] = decision


def _shape_key(statement: Any) -> Any:
    """SQLAlchemy's cache key (memoized on the statement), or None when it has none."""
    generate = getattr(statement, "_generate_cache_key", None)
    key = generate() if generate is not None else None
    return None if key is None else key.key


def _touches_tenant_table(state: ORMExecuteState) -> bool:
    names = _tenant_table_names()
    cached = _decision(state.statement, _SHAPES, _SHAPES_BY_KEY, names)
    if cached is not None:
        return bool(cached[1])
    touches = _walk_for_tenant_tables(state, names)
    _remember(state.statement, _SHAPES, _SHAPES_BY_KEY, (names, touches))
    return touches


def _walk_for_tenant_tables(state: ORMExecuteState, names: frozenset[str]) -> bool:
    """Walk the statement's tables, not ``all_mappers``: ``select(func.count()).select_from(X)``
    names no mapper entity, yet reads X's rows."""
    if any(issubclass(m.class_, TenantModel) for m in state.all_mappers):
        return True
    return any(
        isinstance(element, Table) and element.name in names
        for element in visitors.iterate(state.statement)  # type: ignore[arg-type]
    )


def _tenant_table_names() -> frozenset[str]:
    """Recomputed only when a model class is added (plugins load theirs after the core)."""
    if _NAMES_CACHE[0]:
        _NAMES_CACHE[:] = [False, frozenset(t.name for t in tenant_tables())]
    names: frozenset[str] = _NAMES_CACHE[1]
    return names


_NAMES_CACHE: list[Any] = [True, frozenset()]
"""[stale, names]: ``registry.mappers`` builds a set of every mapper on each call, too
dear to ask on every statement; a new mapper marks the names stale instead."""


@event.listens_for(Mapper, "after_mapper_constructed")
def _forget_table_names(mapper: Mapper[Any], class_: type) -> None:
    _NAMES_CACHE[0] = True


def _filter_by_tenant(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        return  # the parent statement's criteria already propagate to these loads
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_writes(state.session, "an INSERT, UPDATE or DELETE")
    if not _touches_tenant_table(state):
        return
    sync_database_tenant(state.session)
    tenant_id = maybe_tenant_id()
    if tenant_id is None:
        _allow_discovery(state)
        return
    if state.is_insert:
        check_insert(state, tenant_id)
        return
    _refuse_table_statements(state)
    if state.is_update or state.is_delete:
        check_update(state, tenant_id)
    state.statement = _filtered(state.statement, tenant_id)


_FILTERED: weakref.WeakKeyDictionary[Any, dict[uuid.UUID, Any]] = weakref.WeakKeyDictionary()
"""A statement with the tenant's criteria, kept per statement and tenant while the
statement lives. ``options()`` makes a new statement, whose cache key SQLAlchemy then
generates on every execute (a tenth of a GET's CPU, issue 21); a statement built once (the
customer detail, authentication's) is filtered once per tenant instead. The criteria's
tenant is a bound value of the key, so every tenant's copy compiles to the same SQL."""
_FILTERED_PER_STATEMENT = 256


def _filtered(statement: Any, tenant_id: uuid.UUID) -> Any:
    per_tenant = _FILTERED.get(statement)
    if per_tenant is None:
        per_tenant = _FILTERED[statement] = {}
    filtered = per_tenant.get(tenant_id)
    if filtered is None:
        if len(per_tenant) >= _FILTERED_PER_STATEMENT:
            per_tenant.clear()
        filtered = per_tenant[tenant_id] = statement.options(_tenant_criteria(tenant_id))
    return filtered


@functools.lru_cache(maxsize=1024)
def _tenant_criteria(tenant_id: uuid.UUID) -> Any:
    """One option per tenant, reused: building it analyses the lambda each time."""
    return with_loader_criteria(
        TenantModel,
        lambda cls: cls.tenant_id == tenant_id,
        include_aliases=True,
    )


def _allow_discovery(state: ORMExecuteState) -> None:
    """Without a tenant, only ``system_scope()`` reads pass, and only on embedded SQLite.

    PostgreSQL's row-level security shows the app role no row without a tenant (there is
    no switch to flip): discovery there goes through :mod:`pitstop.db.discovery`, and a
    system-scope read would silently find nothing, so it is refused loudly instead.
    """
    if in_system_scope() and state.is_select:
        if state.session.get_bind().dialect.name != "postgresql":
            return
        raise TenantContextMissing(
            "system_scope() cannot read tenant tables on PostgreSQL: use pitstop.db.discovery"
        )
    raise TenantContextMissing("ORM statement on a tenant table with no tenant in context")


def _refuse_table_statements(state: ORMExecuteState) -> None:
    """Loader criteria reach mapped entities only: a ``Table`` would escape the filter.

    A Core statement (no entity at all) is refused outright. In an ORM statement, a plain
    column is fine when its table is one of the statement's entities (``session.get``
    builds its primary-key clause that way) and refused otherwise (a join or subquery on
    ``Store.__table__`` inside a customer query would read every tenant's stores).
    """
    names = _tenant_table_names()
    cached = _decision(state.statement, _REFUSALS, _REFUSALS_BY_KEY, names)
    if cached is None:
        cached = (names, _refusal(state, names))
        _remember(state.statement, _REFUSALS, _REFUSALS_BY_KEY, cached)
    if cached[1]:
        raise UnfilteredStatement(cached[1])


def _refusal(state: ORMExecuteState, tenant_tables: frozenset[str]) -> str:
    """Why the statement escapes the filter, or "" when it does not."""
    if not state.is_orm_statement:
        return "a Core statement on a tenant table: use its mapped class"
    entities = {m.local_table.name for m in state.all_mappers}  # type: ignore[attr-defined]
    names = tenant_tables - entities
    for element in visitors.iterate(state.statement):  # type: ignore[arg-type]
        if (
            isinstance(element, ColumnClause)
            and isinstance(element.table, Table)
            and element.table.name in names
            and "parententity" not in element._annotations
        ):
            return (
                f"{element.table.name}.{element.name} is named through its Table: use its"
                " mapped class"
            )
    return ""


def _stamp_and_check(session: Session, flush_context: Any, instances: Any) -> None:
    _refuse_writes(session, "a flush")
    sync_database_tenant(session)
    tenant_id = maybe_tenant_id()
    for obj in session.new:
        if isinstance(obj, TenantModel):
            _stamp_new(obj, tenant_id)
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantModel):
            _check_owned(obj, tenant_id)


def _stamp_new(obj: TenantModel, tenant_id: uuid.UUID | None) -> None:
    if tenant_id is None:
        raise TenantContextMissing(f"cannot insert {type(obj).__name__}: no tenant in context")
    if obj.tenant_id is None:
        obj.tenant_id = tenant_id
    elif obj.tenant_id != tenant_id:
        raise CrossTenantWrite(f"{type(obj).__name__} belongs to another tenant")


def _check_owned(obj: TenantModel, tenant_id: uuid.UUID | None) -> None:
    if tenant_id is None:
        raise TenantContextMissing(f"cannot change {type(obj).__name__}: no tenant in context")
    if obj.tenant_id != tenant_id:
        raise CrossTenantWrite(f"{type(obj).__name__} belongs to another tenant")


_SET_TENANT = text("SELECT set_config('pitstop.tenant_id', :tenant, true)")
_INFO_KEY = "pitstop_rls_context"


def _wanted_setting() -> str:
    ctx = current_context()
    return "" if ctx is None or ctx.tenant_id is None else str(ctx.tenant_id)


def _apply_setting(session: Session, connection: Connection) -> None:
    """Held for the transaction's ``BEGIN`` when it has not been sent yet
    (:mod:`pitstop.db.pg_begin`: one round trip for both), else run now."""
    wanted = _wanted_setting()
    if session.info.get(_INFO_KEY) == wanted:
        return
    adapter = connection.connection.dbapi_connection
    if not (isinstance(adapter, TenantBeginConnection) and adapter.hold(setting_statement(wanted))):
        connection.execute(_SET_TENANT, {"tenant": wanted})
    session.info[_INFO_KEY] = wanted


def sync_database_tenant(session: Session) -> None:
    """Re-apply the RLS setting if the tenant in context changed mid-transaction.

    ``set_config(..., true)`` lasts for the transaction, but one transaction may span a
    tenant_scope() change (provisioning creates a tenant, then its stores).

    The setting is recorded in ``session.info`` only within a transaction that carries it
    (``after_begin`` sets it afresh; commit and rollback forget it), so when it already
    names the tenant in context there is nothing to do, without asking for the connection.
    """
    if session.info.get(_INFO_KEY) == _wanted_setting():
        return
    if session.get_bind().dialect.name == "postgresql":
        _apply_setting(session, session.connection())


def install_database_wall(session_class: type[Session]) -> None:
    """On PostgreSQL, carry the tenant into each transaction for row-level security."""

    @event.listens_for(session_class, "after_begin")
    def _set_tenant_setting(
        session: Session, transaction: SessionTransaction, connection: Connection
    ) -> None:
        if connection.dialect.name == "postgresql":
            session.info.pop(_INFO_KEY, None)
            _apply_setting(session, connection)

    @event.listens_for(session_class, "after_soft_rollback")
    def _forget_setting(session: Session, *args: Any) -> None:
        session.info.pop(_INFO_KEY, None)

    @event.listens_for(session_class, "after_commit")
    def _forget_setting_at_commit(session: Session) -> None:
        if not session.in_nested_transaction():  # a RELEASE SAVEPOINT keeps the setting
            session.info.pop(_INFO_KEY, None)
