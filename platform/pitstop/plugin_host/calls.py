"""How the plugin host calls one plugin's hook through pluggy, and how it watches the calls.

Every call goes through a pluggy hook caller, never ``impl.function``: a *plugin's own
caller* is ``pm.subset_hook_caller(hook, remove_plugins=<every other plugin>)``, built once
per (hook, plugin) and dropped when a plugin joins. Going through pluggy is what keeps hook
wrappers (``wrapper=True``), ``tryfirst``/``trylast``, call monitoring and the spec's
argument checks working; going one plugin at a time is what gives each plugin its own
:class:`~pitstop.sdk.PluginContext` (pluggy hands the same keyword arguments to every
implementation of one call), tells whose result is whose (a multi-plugin call drops the
``None`` results, so results cannot be matched to plugins by position), and keeps one
plugin's exception from swallowing the others' answers.

Async implementations return awaitables; :meth:`PluginCallers.call` awaits them (await-maybe),
so a plugin may implement any hook as ``def`` or ``async def``.

Tracing (``PITSTOP_PLUGIN_TRACE=1``) is pluggy's ``add_hookcall_monitoring``: one structured
log line per call with the hook, the plugin and the duration - for an async implementation,
until its awaitable finishes. Never the arguments: they carry customer ids and contexts.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pluggy
import structlog

log = structlog.get_logger("pitstop.plugins")


class PluginCallers:
    """Each plugin's own pluggy caller per hook, cached until the set of plugins changes."""

    def __init__(self, pm: pluggy.PluginManager, names: Callable[[], Sequence[str]]) -> None:
        self.pm = pm
        self.names = names
        """The partner plugins' names; plugins the host registers for itself (wrappers,
        monitors) are never removed from a subset, so they wrap every plugin's calls."""
        self._cache: dict[tuple[str, str], pluggy.HookCaller] = {}

    def forget(self) -> None:
        """Drop the cache: a subset caller removes only the plugins it was built against."""
        self._cache.clear()

    def caller(self, hook: str, plugin: str) -> pluggy.HookCaller:
        caller = self._cache.get((hook, plugin))
        if caller is None:
            others = [self.pm.get_plugin(name) for name in self.names() if name != plugin]
            caller = self.pm.subset_hook_caller(hook, remove_plugins=others)
            self._cache[(hook, plugin)] = caller
        return caller

    def order(self, hook: str) -> list[str]:
        """The plugins implementing ``hook`` in pluggy's call order (``tryfirst`` first)."""
        impls = getattr(self.pm.hook, hook).get_hookimpls()
        return [impl.plugin_name for impl in reversed(impls) if not _wraps(impl)]

    def static(self, hook: str, plugin: str) -> Any:
        """A static hook's answer from one plugin (None when it has none)."""
        results = self.caller(hook, plugin)()
        return results[0] if results else None

    async def call(self, hook: str, plugin: str, **kwargs: Any) -> Any:
        """A per-tenant hook's answer from one plugin, awaited when it is awaitable."""
        results = self.caller(hook, plugin)(**kwargs)
        result = results[0] if results else None
        return await result if inspect.isawaitable(result) else result


def trace_hook_calls(pm: pluggy.PluginManager) -> Callable[[], None]:
    """Log every hook call (hook, plugins, duration, outcome); returns the undo function."""
    started: list[float] = []  # pluggy's calls nest like a stack and never await inside

    def before(hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        started.append(time.perf_counter())

    def after(
        outcome: pluggy.Result[Any],
        hook: str,
        impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        start = started.pop()
        plugins = ",".join(impl.plugin_name for impl in impls if not _wraps(impl))
        if not plugins:
            return  # a plugin's caller for a hook it does not implement: nothing ran
        if outcome.exception is not None:
            _log_call(hook, plugins, start, outcome.exception)
            return
        results = outcome.get_result()
        if isinstance(results, list) and any(inspect.isawaitable(r) for r in results):
            outcome.force_result(
                [_timed(r, hook, plugins, start) if inspect.isawaitable(r) else r for r in results]
            )
        else:
            _log_call(hook, plugins, start, None)

    return pm.add_hookcall_monitoring(before, after)


def _wraps(impl: pluggy.HookImpl) -> bool:
    """A wrapper surrounds the other implementations' calls; it answers nothing itself."""
    return impl.hookwrapper or impl.wrapper


async def _timed(result: Awaitable[Any], hook: str, plugins: str, start: float) -> Any:
    try:
        value = await result
    except Exception as exc:
        _log_call(hook, plugins, start, exc)
        raise
    _log_call(hook, plugins, start, None)
    return value


def _log_call(hook: str, plugins: str, start: float, error: BaseException | None) -> None:
    log.info(
        "hook_call",
        hook=hook,
        plugin=plugins,
        ms=round((time.perf_counter() - start) * 1000, 3),
        outcome="ok" if error is None else type(error).__name__,
    )
