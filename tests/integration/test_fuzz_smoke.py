"""A few schemathesis requests per operation in the normal suite (issue 11, #15).

``make fuzz`` runs the real budget on both databases; this small one makes a regression
(a 500, an undocumented status or content type, a response off its schema) show in CI.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pitstop.settings import Settings
from tests.support.fuzz import fuzz_api
from tests.support.served import provision_demo_database, served


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_small_fuzz_of_every_operation_finds_nothing(settings: Settings, tmp_path: Path) -> None:
    # Given the demo tenants behind a real server
    asyncio.run(provision_demo_database(settings))
    with served(settings, tmp_path) as base:
        # When schemathesis sends a few valid and invalid requests to every operation
        report = fuzz_api(base, examples=3)
    print(report.summary())
    # Then no server error and no failed check (status, content type, response schema)
    assert report.operations > 60 and report.cases > 2 * report.operations
    # And it fuzzed as a signed-in user: most answers are not "who are you?"
    assert report.statuses[401] < report.cases / 2, report.summary()
    assert report.server_errors() == 0, report.summary()
    assert not report.failures, report.summary()
