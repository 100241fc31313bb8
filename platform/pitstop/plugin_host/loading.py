"""What loading a plugin checks before the host takes it: who it is, the SDK range it
was written for, and the static things it declares (commands), each refusal one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pitstop.plugin_host import specs
from pitstop.plugin_host.console_hooks import ConsolePages
from pitstop.plugin_host.types import SDK_VERSION, EventHandler, PluginInfo, Schedule


class PluginRefused(RuntimeError):
    """A plugin cannot be loaded; the message says which and why, on one line."""


@dataclass
class LoadedPlugin:
    info: PluginInfo
    module: object
    routes: list[Any] = field(default_factory=list)
    subscriptions: dict[str, EventHandler] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    tasks: dict[str, Any] = field(default_factory=dict)
    commands: list[click.Command] = field(default_factory=list)
    migrations: Path | None = None
    channels: list[Any] = field(default_factory=list)
    console: ConsolePages | None = None

    @property
    def name(self) -> str:
        return self.info.name


class _Introduction:
    """The one spec a newcomer is asked before it joins: who it is."""

    plugin_info = specs.plugin_info


def introduce(plugin: object, label: str) -> object:
    """``plugin_info`` through pluggy, the plugin alone in a manager that knows only that
    spec (its name decides what it is registered as in the host's manager)."""
    probe = pluggy.PluginManager(specs.PROJECT)
    probe.add_hookspecs(_Introduction)
    try:
        probe.register(plugin)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginRefused(f"plugin {label}: {exc}") from None
    answers = probe.hook.plugin_info()
    return answers[0] if answers else None


def checked_commands(plugin: str, given: Any) -> list[click.Command]:
    """A plugin's CLI commands; anything that is not a named click command is refused."""
    commands = list(given or ())
    for command in commands:
        if not isinstance(command, click.Command) or not command.name:
            raise PluginRefused(f"plugin {plugin}: commands() must return named click commands")
    names = [c.name for c in commands]
    if len(set(names)) != len(names):
        raise PluginRefused(f"plugin {plugin}: commands() names a command twice")
    return commands


def check_sdk(info: PluginInfo) -> None:
    try:
        wanted = SpecifierSet(info.sdk)
    except InvalidSpecifier:
        raise PluginRefused(f"plugin {info.name}: sdk range {info.sdk!r} is not valid") from None
    if not wanted.contains(SDK_VERSION, prereleases=True):
        raise PluginRefused(
            f"plugin {info.name} needs Pitstop SDK {info.sdk}; this Pitstop provides"
            f" SDK {SDK_VERSION}"
        )
