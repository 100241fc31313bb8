"""``make fuzz``: schemathesis over the whole API of the demo tenants, on both databases.

Not part of ``make test`` (it takes minutes); the budget is ``PITSTOP_FUZZ_EXAMPLES``
positive and as many negative requests per operation (default 15). The run passes only
with 0 server errors and 0 failed checks: every status, content type and response body
as the OpenAPI document states (tests/support/fuzz.py says what is fuzzed and how).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from pitstop.settings import Settings
from tests.support.fuzz import fuzz_api
from tests.support.served import provision_demo_database, served

EXAMPLES = int(os.environ.get("PITSTOP_FUZZ_EXAMPLES", "15"))


@pytest.mark.e2e
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    backend: str, settings: Settings, tmp_path: Path
) -> None:
    # Given the demo tenants behind a real server
    asyncio.run(provision_demo_database(settings))
    with served(settings, tmp_path) as base:
        # When schemathesis fuzzes every operation as the chain's hq_admin
        report = fuzz_api(base, examples=EXAMPLES)
    print(f"\n[{backend}] {report.summary()}")
    # Then it fuzzed as a signed-in user (most answers are not 401), and nothing failed
    assert report.statuses[401] < report.cases / 2, report.summary()
    assert report.server_errors() == 0, report.summary()
    assert not report.failures, report.summary()
