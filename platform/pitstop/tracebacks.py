"""Tracebacks for the logs that never print a value bound into a failed SQL statement.

A database error's text carries the statement's values twice over: SQLAlchemy appends
``[parameters: (...)]`` (switched off by ``hide_parameters=True`` on every engine), and the
driver quotes values itself - PostgreSQL's ``DETAIL: Failing row contains (..., 张三,
1987-06-05, ...)`` or ``Key (tenant_id, phone)=(...)``, and even primary messages such as
``invalid input syntax for type uuid: "..."``. The log redactor knows phones, ID numbers
and e-mails, not names, birthdays or addresses, so it cannot be the guard here.

So a traceback is rendered with its frames as usual, but every database exception in the
chain is summarised by what is not personal: its class, SQLSTATE (or SQLite error name),
the constraint, table and column it names, and the SQL text, whose values are bind
markers. Both structlog (``format_exc_info``) and the standard library's root handler
(:class:`SafeFormatter`: Dramatiq, asyncio, and uvicorn, which ``pitstop serve`` starts
with ``log_config=None``) use :func:`format_exception`.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

from sqlalchemy.exc import StatementError

_DRIVER_MODULES = ("asyncpg", "sqlite3", "aiosqlite", "psycopg")
_DRIVER_FACTS = ("sqlstate", "sqlite_errorname", "constraint_name", "table_name", "column_name")
_SQLITE_CONSTRAINT = re.compile(
    r"(?:UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?: [\w., ]+)?"
)
"""SQLite's constraint messages name columns only (``UNIQUE constraint failed: t.a, t.b``)."""


def format_exception(exc: BaseException) -> str:
    """The whole chain, oldest cause first, as ``traceback`` would print it."""
    parts: list[str] = []
    seen: set[int] = set()
    _format_chain(exc, parts, seen)
    return "".join(parts).rstrip("\n")


def _format_chain(exc: BaseException, parts: list[str], seen: set[int]) -> None:
    seen.add(id(exc))
    cause, context = exc.__cause__, exc.__context__
    if cause is not None and id(cause) not in seen:
        _format_chain(cause, parts, seen)
        parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
    elif context is not None and id(context) not in seen and not exc.__suppress_context__:
        _format_chain(context, parts, seen)
        parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    if exc.__traceback__ is not None:
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(exc.__traceback__))
    parts.append(f"{_qualified(type(exc))}: {_summary(exc)}\n")


def _summary(exc: BaseException) -> str:
    if isinstance(exc, StatementError):
        orig = exc.orig
        said = "error" if orig is None else f"{_qualified(type(orig))}{_said(orig)}"
        return f"({said}) [SQL: {exc.statement}] (values hidden)"
    if _is_driver_error(exc):
        return f"database error{_said(exc)}"
    return str(exc)


def _said(exc: BaseException) -> str:
    """What a driver error may show: schema facts, and SQLite's column-only messages."""
    message = str(exc.args[0]) if exc.args else ""
    constraint = _SQLITE_CONSTRAINT.fullmatch(message)
    shown = f": {message}" if constraint else " (message hidden: it may quote values)"
    return _facts(exc) + shown


def _is_driver_error(exc: BaseException) -> bool:
    return any(
        cls.__module__.split(".")[0] in _DRIVER_MODULES
        or "AsyncAdapt" in cls.__qualname__  # SQLAlchemy's wrappers of driver errors
        for cls in type(exc).__mro__
    )


def _facts(exc: BaseException) -> str:
    """SQLSTATE and schema names from the driver error or the driver error it wraps."""
    found: dict[str, str] = {}
    for source in (exc, exc.__cause__):
        for name in _DRIVER_FACTS:
            value = getattr(source, name, None)
            if value and isinstance(value, str) and name not in found:
                found[name] = value
    return "".join(f" {name}={value}" for name, value in found.items())


def _qualified(cls: type[BaseException]) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def format_exc_info(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: like ``structlog.processors.format_exc_info``, values hidden."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        exc = _exception(exc_info)
        if exc is not None:
            event_dict["exception"] = format_exception(exc)
    return event_dict


def _exception(exc_info: Any) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple):
        return exc_info[1]
    return sys.exc_info()[1]


class SafeFormatter(logging.Formatter):
    """A standard-library formatter whose tracebacks hide database values.

    ``logging.Formatter.format`` reuses ``record.exc_text`` when another handler already
    rendered the traceback (with the values): it is rendered again here, and the safe text
    is what stays on the record for any handler after this one.
    """

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info:
            record.exc_text = None
        return super().format(record)

    def formatException(self, ei: Any) -> str:
        exc = ei[1] if isinstance(ei, tuple) else None
        return format_exception(exc) if exc is not None else super().formatException(ei)
