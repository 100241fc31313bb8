"""Schemathesis over the whole API of a served demo, every failure collected into one report.

Every documented operation is fuzzed, none excluded, with schema-valid (positive) and
schema-breaking (negative) requests, authenticated as the demo chain's hq_admin (the role
that reaches the most routes). The platform routes answer that role 403, which is what
they should: fuzzing them as a platform operator would suspend the tenant under test
half-way through the run.

Failures are collected rather than raised at the first, so one run tells every operation
and check that broke; the caller asserts the report is clean.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.demo import CHAIN_LOGINS, PASSWORD

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


@dataclass
class FuzzReport:
    operations: int = 0
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, set[str]] = field(default_factory=dict)
    """check title -> the operations (and a short reason) where it failed."""
    seconds: float = 0.0
    nothing_to_break: list[str] = field(default_factory=list)

    def record(self, operation: str, exc: BaseException) -> None:
        group = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
        for failure in group:
            title = str(getattr(failure, "title", type(failure).__name__))
            reason = str(getattr(failure, "message", failure)).splitlines()[0][:160]
            self.failures.setdefault(title, set()).add(f"{operation}: {reason}")

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        lines = [
            f"schemathesis: {self.operations} operations, {self.cases} requests "
            f"in {self.seconds:.0f} s; statuses {dict(sorted(self.statuses.items()))}",
            f"operations without inputs (no negative case exists): {len(self.nothing_to_break)}",
            f"server errors: {self.server_errors()}; failed checks: "
            f"{sum(len(v) for v in self.failures.values())} (checks: {', '.join(CHECKS)})",
        ]
        for title, where in sorted(self.failures.items()):
            lines += [f"  {title}:", *(f"    {w}" for w in sorted(where)[:20])]
        return "\n".join(lines)


def hq_admin_token(base_url: str) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/token",
        json={"tenant": "demo-chain", "email": CHAIN_LOGINS["hq_admin"], "password": PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def fuzz_api(base_url: str, *, examples: int) -> FuzzReport:
    """Up to ``examples`` positive and ``examples`` negative requests per operation."""
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # A session of its own for every operation, signed in before any is fuzzed: fuzzing
    # POST /auth/logout ends the session it is called with, and fuzzing POST /auth/token
    # with wrong passwords soon holds this address off the login.
    tokens = [hq_admin_token(base_url) for _ in operations]
    checks = [getattr(schemathesis.checks, name) for name in CHECKS]
    report = FuzzReport()
    with requests.Session() as session:
        for operation, token in zip(operations, tokens, strict=True):
            session.headers["Authorization"] = f"Bearer {token}"
            report.operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz_operation(operation, mode, examples, base_url, session, checks, report)
    report.seconds = time.monotonic() - started
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    base_url: str,
    session: requests.Session,
    checks: list[Any],
    report: FuzzReport,
) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        report.cases += 1
        response = case.call(base_url=base_url, session=session, headers=dict(session.headers))
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks)
        except (AssertionError, BaseExceptionGroup) as exc:
            report.record(label, exc)

    try:
        run()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise
        report.nothing_to_break.append(label)  # no input at all: no invalid request exists
