"""``pitstop plugins list``: what is installed, and what this deployment does with it.

Reads the entry points directly (not through :class:`PluginHost`) so that one refused
plugin does not hide the others: each line says loaded, blocked, not allowed or refused
(with the reason), which is what an operator needs to fix a deployment.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from pitstop.plugin_host.manager import PluginHost, PluginRefused
from pitstop.settings import Settings


def inventory(settings: Settings) -> list[str]:
    rows = []
    for entry in sorted(entry_points(group="pitstop"), key=lambda e: e.name):
        version = entry.dist.version if entry.dist is not None else "?"
        if entry.name in settings.plugins_blocked:
            status = "blocked (PITSTOP_PLUGINS_BLOCKED)"
        elif settings.plugins_allow is not None and entry.name not in settings.plugins_allow:
            status = "not allowed (PITSTOP_PLUGINS)"
        else:
            status = _try_load(entry.name, entry.load)
        rows.append(f"{entry.name:<16} {version:<10} {status}")
    return rows or ["No plugins installed."]


def _try_load(name: str, load: object) -> str:
    try:
        module = load()  # type: ignore[operator]
        loaded = PluginHost().register(module, expected_name=name)
    except PluginRefused as exc:
        return f"refused: {exc}"
    except Exception as exc:
        return f"refused: cannot import ({type(exc).__name__}: {exc})"
    return f"loaded  {loaded.info.title} (plugin {loaded.info.version})"
