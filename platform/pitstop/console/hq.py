"""Chain HQ at the console: plugins on and off, and their settings as a form.

The form is generated from the plugin's settings schema (the JSON schema the API publishes
as ``settings_schema``), and saving goes through the API's own
:func:`~pitstop.plugin_host.enablement.configure_plugin`: the same validation field by
field (every bad field named at once), the same audit entry, the same re-sync of roles.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.permissions import PermissionTable
from pitstop.console.forms import FormErrors
from pitstop.console.view import Desk
from pitstop.errors import NotFound, Unprocessable
from pitstop.plugin_host.controllers import HIDDEN, PluginOut, plugin_out
from pitstop.plugin_host.enablement import configure_plugin
from pitstop.plugin_host.manager import PluginHost
from pitstop.tenancy.models import TenantPlugin


def settings_fields(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The top-level settings of a plugin's JSON schema, each with the input it needs."""
    root = schema
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        root = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
    fields = []
    for name, spec in root.get("properties", {}).items():
        options = [o for o in spec.get("anyOf", [spec]) if o.get("type") != "null"]
        kind = options[0] if options else spec
        if "enum" in kind:
            widget = "choice"
        elif kind.get("type") in ("integer", "number", "boolean", "string"):
            widget = str(kind["type"])
        else:
            widget = "json"
        secret = name == "secret" or name.endswith("_secret")
        fields.append(
            {
                "name": name,
                "widget": "secret" if secret else widget,
                "choices": kind.get("enum", []),
                "optional": len(options) < len(spec.get("anyOf", [spec])),
            }
        )
    return fields


def _value(field: Mapping[str, Any], text: str | None) -> Any:
    widget, name = field["widget"], field["name"]
    if widget == "boolean":
        return text is not None
    text = (text or "").strip()
    if text == "" and field["optional"]:
        return None
    try:
        if widget == "integer":
            return int(text)
        if widget == "number":
            return float(text)
        if widget == "json":
            return json.loads(text)
    except ValueError:
        message = {
            "integer": "must be a whole number",
            "number": "must be a number",
            "json": "must be JSON",
        }[widget]
        raise FormErrors({name: message}) from None
    return text


def settings_from_form(fields: list[dict[str, Any]], form: Any) -> dict[str, Any]:
    """Typed settings from the form; a blank secret keeps the stored one (as in the API)."""
    values, errors = {}, {}
    for field in fields:
        text = form.get(field["name"])
        if field["widget"] == "secret" and not (text or "").strip():
            continue
        try:
            values[field["name"]] = _value(field, text)
        except FormErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FormErrors(errors)
    return values


def _in_words(desk: Desk, plugin: PluginOut) -> PluginOut:
    """The plugin's name and description as it words them for the reader (its
    ``PluginInfo.messages``); the API keeps them in the plugin's own language."""
    gettext = desk.plugin_gettext(plugin.name)
    return msgspec.structs.replace(
        plugin, title=gettext(plugin.title), description=gettext(plugin.description)
    )


class PluginsPages(Controller):
    path = "/hq/plugins"

    @get("/", opt={"permission": "plugins:read"})
    async def plugins(
        self,
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        plugins: NamedDependency[PluginHost],
    ) -> Template:
        rows = {r.plugin: r for r in (await session.scalars(select(TenantPlugin))).all()}
        listed = [
            _in_words(desk, plugin_out(loaded, rows.get(n)))
            for n, loaded in sorted(plugins.plugins.items())
        ]
        can_manage = desk.principal is not None and desk.principal.can("plugins:manage")
        return desk.page("plugins.html", plugins=listed, can_manage=can_manage)

    @get("/{name:str}", opt={"permission": "plugins:read"})
    async def plugin(
        self,
        name: FromPath[str],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        plugins: NamedDependency[PluginHost],
        saved: FromQuery[bool] = False,
    ) -> Template:
        return await _plugin_page(desk, session, plugins, name, {}, None, saved=saved)

    @post("/{name:str}/enabled", opt={"permission": "plugins:manage"})
    async def switch(
        self,
        name: FromPath[str],
        request: Request[Any, Any, Any],
        session: NamedDependency[AsyncSession],
        plugins: NamedDependency[PluginHost],
        permissions: NamedDependency[PermissionTable],
    ) -> Redirect:
        """On or off, as ``PATCH /api/v1/plugins/{name}`` with ``enabled`` (audited there)."""
        form = await request.form()
        enabled = str(form.get("enabled", "")) == "1"
        await configure_plugin(session, plugins, permissions, name, enabled=enabled, settings=None)
        return Redirect(f"/console/hq/plugins/{name}", status_code=303)

    @post("/{name:str}/settings", opt={"permission": "plugins:manage"})
    async def save_settings(
        self,
        name: FromPath[str],
        request: Request[Any, Any, Any],
        desk: NamedDependency[Desk],
        session: NamedDependency[AsyncSession],
        plugins: NamedDependency[PluginHost],
        permissions: NamedDependency[PermissionTable],
    ) -> Template | Redirect:
        """Settings as ``PATCH /api/v1/plugins/{name}`` takes them; each bad field is named."""
        loaded = _installed(plugins, name)
        form = await request.form()
        fields = settings_fields(plugin_out(loaded, None).settings_schema)
        typed = {f["name"]: str(form.get(f["name"], "")) for f in fields}
        try:
            values = settings_from_form(fields, form)
            async with session.begin_nested():  # a refused change leaves no row behind
                await configure_plugin(
                    session, plugins, permissions, name, enabled=None, settings=values
                )
        except FormErrors as exc:
            return await _plugin_page(desk, session, plugins, name, exc.errors, typed, 422)
        except Unprocessable as exc:
            errors = {
                (e.get("field") or "").removeprefix("settings.") or "form": e.get("message", "")
                for e in exc.errors
            } or {"form": exc.detail}
            return await _plugin_page(desk, session, plugins, name, errors, typed, 422)
        return Redirect(f"/console/hq/plugins/{name}?saved=1", status_code=303)


def _installed(plugins: PluginHost, name: str) -> Any:
    loaded = plugins.plugins.get(name)
    if loaded is None:
        raise NotFound(f"no plugin named {name} is installed", code="unknown_plugin")
    return loaded


async def _plugin_page(
    desk: Desk,
    session: AsyncSession,
    plugins: PluginHost,
    name: str,
    errors: dict[str, str],
    typed: dict[str, str] | None,
    status: int = 200,
    *,
    saved: bool = False,
) -> Template:
    loaded = _installed(plugins, name)
    row = (
        await session.scalars(select(TenantPlugin).where(TenantPlugin.plugin == name))
    ).one_or_none()
    shown = _in_words(desk, plugin_out(loaded, row))
    values = {k: ("" if v == HIDDEN else v) for k, v in shown.settings.items()}
    if typed is not None:
        values |= typed
    can_manage = desk.principal is not None and desk.principal.can("plugins:manage")
    return desk.page(
        "plugin.html",
        status,
        plugin=shown,
        fields=settings_fields(shown.settings_schema),
        values=values,
        secret_set={k: v == HIDDEN for k, v in shown.settings.items()},
        errors=errors,
        can_manage=can_manage,
        saved=saved,
    )
