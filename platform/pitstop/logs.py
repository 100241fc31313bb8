"""Structured logs that never carry personal data.

Log lines should carry IDs only. As a second line of defence, a processor redacts anything
that looks like a phone number, a resident ID number or an e-mail address in any value,
so a careless ``log.info("...", body=request_body)`` still cannot leak a customer's phone.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from pitstop.settings import Settings
from pitstop.tracebacks import SafeFormatter, format_exc_info

_PATTERNS = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),  # resident ID number
    re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"),  # CN mobile
    re.compile(r"(?<!\d)\+\d{8,15}(?!\d)"),  # any E.164
)


_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
"""Ids are not personal data: ``…-d179-7684-9662-…`` would otherwise read as a mobile."""


def redact(value: str) -> str:
    parts = _UUID.split(value)
    if len(parts) > 1:
        ids = _UUID.findall(value)
        return "".join(
            redact(part) + (ids[i] if i < len(ids) else "") for i, part in enumerate(parts)
        )
    for pattern in _PATTERNS:
        value = pattern.sub("[redacted]", value)
    return value


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def redact_pii(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = _redact_value(value)
    return event_dict


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        format_exc_info,  # tracebacks without the values bound into a failed statement
        redact_pii,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    _stdlib_handler(level)


def _stdlib_handler(level: int) -> None:
    """One stderr handler on the root logger (replaced on reconfiguration), whose
    tracebacks go through :class:`SafeFormatter` like structlog's."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "pitstop", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.pitstop = True  # type: ignore[attr-defined]
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


READY_LINE = "pitstop {process} ready"
"""Printed whatever the log level, so tests and supervisors wait for it instead of sleeping."""


def announce_ready(process: str) -> None:
    print(READY_LINE.format(process=process), file=sys.stderr, flush=True)
