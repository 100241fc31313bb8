"""Which tenant an INSERT, UPDATE or DELETE writes, read from everywhere it can be said.

Loader criteria filter the rows a statement *finds*; they say nothing about the tenant a
statement *writes*. ``insert(Store).values(tenant_id=B)``, a multi-row ``values([...])``,
``session.execute(insert(Store), [rows])``, ``update(Store).values(tenant_id=B)`` (which
moves alpha's rows to B), an upsert's ``SET tenant_id`` and a bulk update by primary key all
carry the tenant in their values or parameters. On embedded SQLite nothing else stands in
the way, so :func:`check_insert` and :func:`check_update` read every one of those places:
a missing ``tenant_id`` is stamped with the tenant in context where that is a plain value,
and any other tenant, or a ``tenant_id`` that is not a plain value, is refused.

The values live in SQLAlchemy's ``_values`` / ``_multi_values`` (the same attributes its
own DML compiler reads); the tests in ``tests/isolation/test_orm_wall_writes.py`` break if
a SQLAlchemy release moves them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql.dml import Insert, UpdateBase, ValuesBase
from sqlalchemy.sql.elements import BindParameter, ClauseElement, Null

TENANT_COLUMN = "tenant_id"


class CrossTenantWrite(RuntimeError):
    """A write names, or would move a row to, a tenant other than the one in context."""


_MISSING = object()
"""The statement or row does not say which tenant it writes."""
_NOT_A_VALUE = object()
"""``tenant_id`` is set to an expression (a column, a subquery): never allowed."""


def check_insert(state: ORMExecuteState, tenant_id: uuid.UUID) -> None:
    """Refuse an INSERT naming another tenant; stamp the tenant where none is named."""
    statement = _dml(state)
    if not isinstance(statement, Insert):
        raise TypeError(f"check_insert was given a {type(statement).__name__}, not an INSERT")
    if statement.select is not None:
        raise CrossTenantWrite("INSERT ... FROM SELECT into a tenant table: insert the rows")
    single = _tenant_in(statement._values or {})
    rows = [_tenant_in(_row_mapping(statement, row)) for row in _multi_rows(statement)]
    params = _parameter_sets(state)
    for named in [single, *rows, *(_tenant_in(p) for p in params)]:
        _require(named, tenant_id)
    _require_upsert_keeps_tenant(statement, tenant_id)
    if any(named is _MISSING for named in rows):
        raise CrossTenantWrite("every row of a multi-row INSERT must name its tenant_id")
    if single is not _MISSING or rows:
        return
    if params:
        state.parameters = _stamped(state.parameters, tenant_id)
    elif state.is_from_statement:
        raise CrossTenantWrite("an INSERT inside from_statement() must name its tenant_id")
    else:
        state.statement = statement.values({TENANT_COLUMN: tenant_id})


def check_update(state: ORMExecuteState, tenant_id: uuid.UUID) -> None:
    """Refuse an UPDATE (or DELETE) that sets, or keys its rows by, another tenant.

    Setting ``tenant_id`` to the tenant it already has is a no-op and passes; executemany
    parameters of a bulk update by primary key carry ``tenant_id`` as part of the key.
    """
    statement = _dml(state)
    if isinstance(statement, ValuesBase):
        _require(_tenant_in(statement._values or {}), tenant_id)
    for params in _parameter_sets(state):
        _require(_tenant_in(params), tenant_id)


def _dml(state: ORMExecuteState) -> UpdateBase:
    """The DML itself, also inside ``select(X).from_statement(insert(X)...)``."""
    statement: Any = state.statement
    if state.is_from_statement:
        statement = statement.element
    if not isinstance(statement, UpdateBase):
        raise TypeError(f"{type(statement).__name__} is not an INSERT, UPDATE or DELETE")
    return statement


def _multi_rows(statement: Insert) -> Iterator[Any]:
    for batch in statement._multi_values:
        yield from batch


def _row_mapping(statement: Insert, row: Any) -> Mapping[Any, Any]:
    """A row of ``values([...])``: a dict, or a tuple in the table's column order."""
    if isinstance(row, Mapping):
        return row
    return dict(zip(statement.table.c, row, strict=False))


def _parameter_sets(state: ORMExecuteState) -> list[Mapping[str, Any]]:
    params = state.parameters
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [params]
    return list(params)


def _tenant_in(values: Mapping[Any, Any]) -> Any:
    """The tenant a mapping of column (name or object) to value names, or _MISSING."""
    for key, value in values.items():
        name = key if isinstance(key, str) else getattr(key, "key", None)
        if name == TENANT_COLUMN:
            return _plain(value)
    return _MISSING


def _plain(value: Any) -> Any:
    if isinstance(value, BindParameter):
        value = value.effective_value
    if value is None or isinstance(value, Null):
        return _MISSING
    if isinstance(value, ClauseElement):
        return _NOT_A_VALUE
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return _NOT_A_VALUE


def _require(named: Any, tenant_id: uuid.UUID) -> None:
    """A missing tenant passes here: INSERT stamps it, UPDATE leaves the column alone."""
    if named is _MISSING:
        return
    if named is _NOT_A_VALUE:
        raise CrossTenantWrite("tenant_id must be written as a value, not an expression")
    if named != tenant_id:
        raise CrossTenantWrite("the statement writes a tenant other than the one in context")


def _require_upsert_keeps_tenant(statement: Insert, tenant_id: uuid.UUID) -> None:
    """``ON CONFLICT DO UPDATE SET tenant_id = ...`` moves the conflicting row."""
    clause = getattr(statement, "_post_values_clause", None)
    to_set = getattr(clause, "update_values_to_set", None) or {}
    _require(_tenant_in(to_set), tenant_id)


def _stamped(params: Any, tenant_id: uuid.UUID) -> Any:
    """Executemany rows (or one parameter dict) with ``tenant_id`` filled in where missing."""

    def stamp(row: Mapping[str, Any]) -> Mapping[str, Any]:
        if _tenant_in(row) is _MISSING:
            return {**row, TENANT_COLUMN: tenant_id}
        return row

    if isinstance(params, Mapping):
        return stamp(params)
    return [stamp(row) for row in params]
