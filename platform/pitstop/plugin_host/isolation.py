"""Read-side hooks, isolated: one plugin's failure costs its own part of the page, never
the caller's transaction or the other plugins' answers.

The plugins run inside one savepoint, renewed after each failure: a failed statement
cannot abort the caller's transaction, and the answers already in hand stay good (read-side
hooks only read), so a profile costs two statements, not two per plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.insights.schemas import KpiTile
from pitstop.plugin_host import attributes as facts
from pitstop.plugin_host.calls import PluginCallers
from pitstop.plugin_host.console_hooks import CustomerPanel
from pitstop.plugin_host.context import PluginContext
from pitstop.plugin_host.loading import LoadedPlugin
from pitstop.plugin_host.types import Section

log = structlog.get_logger("pitstop.plugins")
Panel = TypeVar("Panel", Section, KpiTile, CustomerPanel)
Answers = list[tuple[str, Any, bool]]
"""``(plugin, answer, failed)`` for each plugin called, in pluggy's order."""


async def call_isolated(
    callers: PluginCallers,
    hook: str,
    session: AsyncSession,
    contexts: list[tuple[str, PluginContext]],
    kwargs: dict[str, Any],
) -> Answers:
    """Call ``hook`` on each plugin with its context; a failure is recorded, not raised."""
    answers: Answers = []
    while contexts:
        ran = await _until_failure(callers, hook, session, contexts, answers, kwargs)
        contexts = contexts[ran:]
    return answers


async def _until_failure(
    callers: PluginCallers,
    hook: str,
    session: AsyncSession,
    waiting: list[tuple[str, PluginContext]],
    answers: Answers,
    kwargs: dict[str, Any],
) -> int:
    """Call plugins in one savepoint until one raises; returns how many were called."""
    savepoint = await session.begin_nested()
    for ran, (plugin, ctx) in enumerate(waiting, start=1):
        try:
            answer = await callers.call(hook, plugin, ctx=ctx, **kwargs)
        except Exception as exc:
            await savepoint.rollback()
            log_failure(hook, plugin, type(exc).__name__)
            answers.append((plugin, None, True))
            return ran
        answers.append((plugin, answer, False))
    await savepoint.commit()
    return len(waiting)


def panels(
    plugins: Mapping[str, LoadedPlugin], hook: str, kind: type[Panel], answers: Answers
) -> list[Panel]:
    """Each plugin's own section or tile, or its title and the marker if it failed (or
    answered something else); None answers are left out."""
    panels = []
    for plugin, answer, failed in answers:
        if not failed and answer is not None and not isinstance(answer, kind):
            log_failure(hook, plugin, f"answered {type(answer).__name__}")
            failed = True
        if failed:
            empty = {"title": plugins[plugin].info.title, "data": {}, "figures": {}}
            answer = msgspec.convert(empty, kind)  # each takes the keys it has
        if answer is not None:
            answer.plugin, answer.error = plugin, facts.UNAVAILABLE if failed else None
            panels.append(answer)
    return panels


def log_failure(hook: str, plugin: str, error_type: str) -> None:
    """The exception's type only: its message may quote the customer's data."""
    log.warning("plugin_hook_failed", hook=hook, plugin=plugin, error_type=error_type)
