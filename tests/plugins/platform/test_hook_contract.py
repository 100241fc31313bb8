"""The hook contract as the host reads it: which hooks are static or per tenant, how a
deprecated argument is announced, and the switch that turns tracing on."""

from __future__ import annotations

import inspect
import logging
import types
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
import structlog

from pitstop.plugin_host import specs
from pitstop.plugin_host.manager import PluginHost, PluginRefused
from pitstop.sdk import PluginContext, PluginInfo, SdkDeprecationWarning, hookimpl
from pitstop.settings import Settings


def _plugin(name: str, **hooks: object) -> types.ModuleType:
    @hookimpl
    def plugin_info() -> PluginInfo:
        return PluginInfo(name=name, version="0.1", title=name)

    module = types.ModuleType(name)
    module.plugin_info = plugin_info  # type: ignore[attr-defined]
    for attr, value in hooks.items():
        setattr(module, attr, value)
    return module


def test_every_hook_is_either_static_or_per_tenant() -> None:
    # Given the hookspecs
    hooks = {
        n for n, f in inspect.getmembers(specs, inspect.isfunction) if hasattr(f, "pitstop_spec")
    }
    # Then each is in exactly one of the host's two lists
    assert set(specs.STATIC_HOOKS) | set(specs.PER_TENANT_HOOKS) == hooks
    assert not set(specs.STATIC_HOOKS) & set(specs.PER_TENANT_HOOKS)


async def test_the_host_calls_only_per_tenant_hooks_per_tenant() -> None:
    # When the host is asked to call a static hook as if it were per tenant
    with pytest.raises(ValueError, match="routes is not a per-tenant hook"):
        await PluginHost().call_each("routes", session=None)  # type: ignore[arg-type]


def test_static_hooks_are_asked_through_the_plugins_own_caller() -> None:
    # Given two plugins, each declaring a migrations directory
    @hookimpl
    def first_dir() -> Path:
        return Path("/first")

    @hookimpl
    def second_dir() -> Path:
        return Path("/second")

    host = PluginHost()
    host.register(_plugin("first", migrations=first_dir))
    host.register(_plugin("second", migrations=second_dir))
    # Then each plugin's answer is its own, not the other's (pluggy would give both)
    assert host.plugins["first"].migrations == Path("/first")
    assert host.plugins["second"].migrations == Path("/second")
    assert host.pm.hook.migrations() == [Path("/second"), Path("/first")]


def test_a_deprecated_hook_argument_warns_at_load_and_is_logged() -> None:
    # Given a plugin whose on_tenant_enabled still asks for `settings` (deprecated in 1.1)
    @hookimpl
    async def on_tenant_enabled(ctx: PluginContext, settings: Any) -> None:
        return None

    legacy = _plugin("legacy", on_tenant_enabled=on_tenant_enabled)
    # When it is registered
    with (
        structlog.testing.capture_logs() as logs,
        pytest.warns(SdkDeprecationWarning, match=r"read ctx\.settings") as caught,
    ):
        PluginHost().register(legacy)
    # Then the warning points at the plugin's own function, and the host logs it by name
    assert caught[0].filename == __file__
    [logged] = [e for e in logs if e["event"] == "plugin_uses_deprecated_sdk"]
    assert logged["plugin"] == "legacy" and "ctx.settings" in logged["detail"]


def test_an_implementation_without_the_deprecated_argument_loads_silently() -> None:
    # Given a plugin reading ctx.settings instead
    @hookimpl
    async def on_tenant_enabled(ctx: PluginContext) -> None:
        return None

    # When it is registered, Then no warning is raised
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PluginHost().register(_plugin("modern", on_tenant_enabled=on_tenant_enabled))


def test_tracing_is_off_unless_the_setting_says_so(tmp_path: Path) -> None:
    # Given the environment with and without PITSTOP_PLUGIN_TRACE
    base = {"PITSTOP_VAR_DIR": str(tmp_path)}
    assert Settings.from_env(base).plugin_trace is False
    assert Settings.from_env({**base, "PITSTOP_PLUGIN_TRACE": "1"}).plugin_trace is True

    @hookimpl
    def migrations() -> Path:
        return Path("/traced")

    # When a plugin is registered on a host without and with tracing
    previous = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with structlog.testing.capture_logs() as quiet:
            PluginHost().register(_plugin("quiet", migrations=migrations))
        with structlog.testing.capture_logs() as loud:
            PluginHost(trace=True).register(_plugin("loud", migrations=migrations))
    finally:
        structlog.configure(wrapper_class=previous)
    # Then only the traced host logs the static hook call
    assert [e for e in quiet if e["event"] == "hook_call"] == []
    [call] = [e for e in loud if e["event"] == "hook_call"]
    assert (call["hook"], call["plugin"], call["outcome"]) == ("migrations", "loud", "ok")
    assert set(call) == {"event", "log_level", "hook", "plugin", "ms", "outcome"}


def test_a_per_tenant_call_goes_to_that_plugin_only_with_its_context() -> None:
    # Given two plugins implementing customer_summary synchronously
    calls: list[tuple[str, str]] = []

    def summary(name: str) -> Any:
        @hookimpl
        def customer_summary(ctx: Any, customer_id: uuid.UUID) -> None:
            calls.append((name, ctx))

        return customer_summary

    host = PluginHost()
    host.register(_plugin("a", customer_summary=summary("a")))
    host.register(_plugin("b", customer_summary=summary("b")))
    # When one plugin's own caller is used with a context meant for it
    host.callers.caller("customer_summary", "a")(ctx="ctx-of-a", customer_id=uuid.uuid4())
    # Then only that plugin ran, and in pluggy's call order b (registered last) comes first
    assert calls == [("a", "ctx-of-a")]
    assert host.callers.order("customer_summary") == ["b", "a"]


def test_an_implementation_with_an_unknown_argument_is_refused_by_name() -> None:
    # Given a customer_summary asking for an argument the spec does not pass
    @hookimpl
    def customer_summary(ctx: Any, customer: Any) -> None:
        return None

    # When it is registered, Then it is refused naming the plugin, and the host is unchanged
    host = PluginHost()
    with pytest.raises(PluginRefused, match=r"plugin typo: .*customer"):
        host.register(_plugin("typo", customer_summary=customer_summary))
    assert host.plugins == {} and host.pm.get_plugin("typo") is None
