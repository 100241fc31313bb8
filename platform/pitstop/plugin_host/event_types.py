"""The event types the running platform knows: the core's and its loaded plugins'.

Plugins declare their types in ``PluginInfo.events``; this joins them with the core's
(:mod:`pitstop.events.payloads`) and answers what ``ctx.emit`` must check a payload against.
A plugin emits the types it declares, and the core's convention types
(:mod:`pitstop.events.rewards`), which any plugin may emit. A type nobody declares still
goes out in SDK 1.x, with a :class:`DeprecationWarning` (SDK 2.0 refuses it); a type
another emitter declares is refused outright, so no plugin can forge the core's
``service_order.completed`` (and the points it earns) or another plugin's events.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Protocol

from pitstop.events.payloads import CORE_EVENT_TYPES
from pitstop.events.rewards import CONVENTION, CONVENTION_EVENT_TYPES, CONVENTION_EVENTS
from pitstop.events.types import CORE, EventCatalog, EventType, UndeclaredEvent
from pitstop.plugin_host.types import PluginInfo


class Loaded(Protocol):
    """What is read of a loaded plugin: its declaration."""

    @property
    def info(self) -> PluginInfo: ...


def catalog_of(plugins: Mapping[str, Loaded]) -> EventCatalog:
    """Every declared type, the core's and its conventions first; two emitters declaring
    one name is an error."""
    declarations = {CORE: CORE_EVENT_TYPES, CONVENTION: CONVENTION_EVENT_TYPES}
    declarations.update({name: loaded.info.events for name, loaded in sorted(plugins.items())})
    return EventCatalog.of(declarations)


def declared_event(plugins: Mapping[str, Loaded], plugin: str, type: str) -> EventType | None:
    """The declaration ``plugin``'s payload of ``type`` is checked against (None: undeclared,
    deprecated)."""
    if type in CONVENTION_EVENTS:
        return CONVENTION_EVENTS[type]
    for declared in plugins[plugin].info.events:
        if declared.name == type:
            return declared
    emitter = catalog_of({k: v for k, v in plugins.items() if k != plugin}).emitter_of(type)
    if emitter is not None:
        raise UndeclaredEvent(f"plugin {plugin} cannot emit {type}: {emitter} declares it")
    warnings.warn(
        f"plugin {plugin} emits {type}, which it does not declare in PluginInfo.events"
        " (SDK 1.1); SDK 2.0 refuses undeclared event types",
        DeprecationWarning,
        stacklevel=3,
    )
    return None
