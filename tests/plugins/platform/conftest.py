"""The platform tests run with the sample plugin registered on top of the installed ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.pool import NullPool

from pitstop.runtime import Runtime
from pitstop.settings import Settings
from tests.plugins import sample


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.build(settings, extra_plugins=[sample], poolclass=NullPool)
    sample.FAILURES.clear()
    try:
        yield rt
    finally:
        await rt.close()
