"""The referrals plugin in the suite's demo chain and shop (two tenants), for the
break-in tests and the worker test that need them; the other tests use the kit
(``on_kit/``)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.pool import NullPool

import pitstop_referrals
from pitstop.bootstrap.migrate import installed_plugin_dirs, upgrade
from pitstop.runtime import Runtime
from pitstop.settings import Settings


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    # Registered from the module, so the test does not depend on the entry point being
    # installed; an installed one is blocked so it is not registered twice.
    # Its Alembic branch is migrated here for the same reason (a no-op once installed).
    without = dataclasses.replace(settings, plugins_blocked=("referrals",))
    upgrade(settings, [*installed_plugin_dirs(without), pitstop_referrals.migrations()])
    rt = Runtime.build(without, extra_plugins=[pitstop_referrals], poolclass=NullPool)
    try:
        yield rt
    finally:
        await rt.close()
