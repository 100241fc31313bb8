"""The retention plugin in the suite's demo chain and shop (two tenants), for the
break-in tests that need another tenant; the other tests use the kit (``on_kit/``)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.pool import NullPool

import pitstop_retention
from pitstop.runtime import Runtime
from pitstop.settings import Settings


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    # Registered from the module, so the test does not depend on the entry point being
    # installed; an installed one is blocked so it is not registered twice.
    without = dataclasses.replace(settings, plugins_blocked=("retention",))
    rt = Runtime.build(without, extra_plugins=[pitstop_retention], poolclass=NullPool)
    try:
        yield rt
    finally:
        await rt.close()
