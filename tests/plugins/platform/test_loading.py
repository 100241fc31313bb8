"""Loading plugins: refused loudly when wrong, and never leaking from one host to another."""

from __future__ import annotations

import types

import pytest

from pitstop.plugin_host.manager import PluginHost, PluginRefused
from pitstop.plugin_host.types import SDK_VERSION
from pitstop.sdk import PluginInfo, hookimpl
from tests.plugins import sample


def _module(name: str, **functions: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr, value in functions.items():
        setattr(module, attr, value)
    return module


def _info(name: str = "odd", sdk: str = ">=1.0,<2", depends_on: tuple[str, ...] = ()) -> object:
    @hookimpl
    def plugin_info() -> PluginInfo:
        return PluginInfo(name=name, version="0.1", title=name, sdk=sdk, depends_on=depends_on)

    return plugin_info


def test_a_plugin_registered_on_one_host_is_not_on_another() -> None:
    # Given two hosts, When the sample plugin is registered on the first
    first, second = PluginHost(), PluginHost()
    first.register(sample)
    # Then only the first knows it, its routes and its permissions
    assert "sample" in first.plugins
    assert "sample" not in second.plugins
    assert [p.name for p in first.permissions()] == ["sample:read"]
    assert second.permissions() == []


def test_a_misspelt_hook_is_refused_with_its_name() -> None:
    # Given a plugin implementing "subscription" (no such hook; "subscriptions" is meant)
    @hookimpl
    def subscription() -> dict[str, object]:
        return {}

    module = _module("typo", plugin_info=_info("typo"), subscription=subscription)
    # When it is registered, Then it is refused naming the plugin and the unknown hook
    with pytest.raises(PluginRefused, match=r"plugin typo: .*subscription"):
        PluginHost().register(module)


def test_an_incompatible_sdk_range_is_refused_clearly() -> None:
    module = _module("future", plugin_info=_info("future", sdk=">=2.0"))
    with pytest.raises(PluginRefused) as refused:
        PluginHost().register(module)
    assert str(refused.value) == (
        f"plugin future needs Pitstop SDK >=2.0; this Pitstop provides SDK {SDK_VERSION}"
    )


def test_a_plugin_without_plugin_info_is_refused() -> None:
    with pytest.raises(PluginRefused, match="plugin_info"):
        PluginHost().register(_module("anonymous"))


def test_a_missing_dependency_is_refused() -> None:
    host = PluginHost()
    host.register(_module("needy", plugin_info=_info("needy", depends_on=("nowhere",))))
    with pytest.raises(PluginRefused, match=r"needy: depends on \['nowhere'\]"):
        host.check_dependencies()


def test_installed_plugins_load_from_entry_points_and_obey_the_lists() -> None:
    # Given the first-party plugins installed through the `pitstop` entry-point group
    everything = PluginHost.from_entry_points()
    assert {"membership", "complaints"} <= set(everything.plugins)
    # When one is blocked, or an allow-list names only the other
    blocked = PluginHost.from_entry_points(blocked=("complaints",))
    allowed = PluginHost.from_entry_points(allow=("complaints",))
    # Then the lists are obeyed
    assert "complaints" not in blocked.plugins
    assert list(allowed.plugins) == ["complaints"]
    # And an allow-list naming an uninstalled plugin fails loudly
    with pytest.raises(PluginRefused, match="not installed"):
        PluginHost.from_entry_points(allow=("nonexistent",))


def test_plugin_commands_must_be_click_commands_and_hide_no_core_command() -> None:
    import click

    from pitstop.plugin_host.commands import CommandError, plugin_groups

    # Given a plugin whose commands() returns a plain function, and one named like a core
    # command ("tenants") that declares a real click command
    @hookimpl
    def not_commands() -> list[object]:
        return [lambda: None]

    @click.command("sync")
    def sync() -> None:
        """Sync."""

    @hookimpl
    def tenants_commands() -> list[click.Command]:
        return [sync]

    odd = _module("odd", plugin_info=_info("odd"), commands=not_commands)
    clash = _module("tenants", plugin_info=_info("tenants"), commands=tenants_commands)
    # When they are loaded and mounted
    with pytest.raises(PluginRefused, match="plugin odd: commands"):
        PluginHost().register(odd)
    host = PluginHost()
    host.register(clash)
    # Then the first is refused, and the second cannot hide `pitstop tenants`
    with pytest.raises(CommandError, match="would hide `pitstop tenants`"):
        plugin_groups(host, frozenset({"tenants", "demo"}))
    # And without the clash the command is mounted under the plugin's name
    assert list(plugin_groups(host, frozenset({"demo"}))["tenants"].commands) == ["sync"]
