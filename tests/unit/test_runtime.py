"""A runtime is built whole, in one place, and never rewired afterwards."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool

from pitstop.clock import SettableClock
from pitstop.events.outbox import NUDGE_KEY
from pitstop.runtime import Runtime
from tests.conftest import make_settings
from tests.plugins import sample

MOMENT = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)


async def test_collaborators_are_wired_when_the_runtime_is_built(tmp_path: Path) -> None:
    # Given a runtime built from settings, with a plugin no entry point names
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'pitstop.db'}")
    runtime = Runtime.build(settings, extra_plugins=[sample], poolclass=NullPool)
    try:
        # Then the plugin host, the sessions and the permission table got what they need
        assert runtime.plugins.task_sender == runtime.dispatch.task
        assert runtime.sessions.kw["info"][NUDGE_KEY] == runtime.dispatch.publish
        assert runtime.plugins.clock is runtime.clock
        assert "sample" in runtime.plugins.plugins
        assert all(p.name in runtime.permissions for p in runtime.plugins.permissions())
        # And nothing can be swapped afterwards
        with pytest.raises(dataclasses.FrozenInstanceError):
            runtime.clock = SettableClock()  # type: ignore[misc]
    finally:
        await runtime.close()


async def test_moving_the_clock_moves_every_collaborator_and_siblings(tmp_path: Path) -> None:
    # Given a runtime and a sibling with an engine of its own (another event loop)
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'pitstop.db'}")
    runtime = Runtime.build(settings, poolclass=NullPool)
    sibling = runtime.sibling(poolclass=NullPool)
    try:
        # When a test moves the runtime's clock
        runtime.clock.set(lambda: MOMENT)
        # Then the plugin host and the sibling read the same time
        assert runtime.plugins.clock() == MOMENT
        assert sibling.clock() == MOMENT
        # And the sibling shares broker and plugins but not the engine
        assert sibling.broker is runtime.broker and sibling.plugins is runtime.plugins
        assert sibling.engine is not runtime.engine
        assert sibling.sessions.kw["info"][NUDGE_KEY] == runtime.dispatch.publish
    finally:
        await sibling.close()
        await runtime.close()
