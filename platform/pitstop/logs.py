"""Structured logs that never carry personal data.

Log lines should carry IDs only. As a second line of defence, a processor redacts anything
that looks like personal data (a phone number, a resident ID number, an e-mail address, a
plate or a VIN: the detectors of :mod:`pitstop.personal_data`) in any value, so a careless
``log.info("...", body=request_body)`` still cannot leak a customer's phone.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog

from pitstop.personal_data import map_strings, redact
from pitstop.settings import Settings
from pitstop.tracebacks import SafeFormatter, format_exc_info


def redact_pii(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = map_strings(value, redact)
    return event_dict


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was set up: a
    test runner swaps it per test (and closes the old one), a daemon may redirect it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR = _Stderr()


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
        logger_factory=structlog.PrintLoggerFactory(STDERR),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    _stdlib_handler(level)


def _stdlib_handler(level: int) -> None:
    """One stderr handler on the root logger (replaced on reconfiguration), whose
    tracebacks go through :class:`SafeFormatter` like structlog's."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "pitstop", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(STDERR)
    handler.pitstop = True  # type: ignore[attr-defined]
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(scope: Any) -> str:
    """The client's ``X-Request-ID`` when it is a plain token, else a fresh one.

    A client-chosen id ends up in every log line of the request: anything but letters,
    digits and ``._:-`` could forge lines or carry personal data into the logs.
    """
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


READY_LINE = "pitstop {process} ready"
"""Printed whatever the log level, so tests and supervisors wait for it instead of sleeping."""


def announce_ready(process: str) -> None:
    print(READY_LINE.format(process=process), file=sys.stderr, flush=True)
