"""From the API's response shapes to template values, masked exactly as the API masks.

A page never reads a personal column itself: it builds the same ``CustomerOut`` /
``CustomerProfile`` / ``ServiceOrderOut`` the API returns and passes it through
:func:`shown`, which applies the API's own type encoders (``access.masking.TYPE_ENCODERS``)
under the reader's PII policy, set for the request by the edge. Dates, times, ids and
decimals stay objects so the templates can format them in the tenant's zone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop import wording
from pitstop.access.masking import TYPE_ENCODERS, free_text_in
from pitstop.access.principal import Principal
from pitstop.console import i18n
from pitstop.console.figures import Figures
from pitstop.console.i18n import N_
from pitstop.console.wording import worded_errors
from pitstop.plugin_host.manager import PluginHost
from pitstop.tenancy.models import Tenant

KEPT = (dt.datetime, dt.date, uuid.UUID, Decimal)


def _encode(value: Any) -> Any:
    encoder = TYPE_ENCODERS.get(type(value))
    if encoder is None:
        raise NotImplementedError(f"cannot show {type(value).__name__}")
    return encoder(value)


def shown(value: Any) -> Any:
    """``value`` as plain data, every personal value masked unless the reader may see it."""
    return msgspec.to_builtins(value, enc_hook=_encode, builtin_types=KEPT)


def shown_for_plugin(values: Any) -> Any:
    """A plugin's values for its page or panel: ``Sensitive`` and ``FreeText`` masked as
    :func:`shown` masks them, then every other string scanned as free text (a plugin
    cannot show a phone it forgot to declare)."""
    return shown(free_text_in(shown(values)))


@dataclass(frozen=True)
class NavEntry:
    path: str
    label: str
    permission: str


NAV = (
    NavEntry("/console/search", N_("Customers"), "customers:read"),
    NavEntry("/console/customers/new", N_("New customer"), "customers:write"),
    NavEntry("/console/worklist", N_("Today's orders"), "service_orders:read"),
    NavEntry("/console/hq/kpis", N_("KPI board"), "insights:read"),
    NavEntry("/console/hq/stores", N_("Stores"), "stores:manage"),
    NavEntry("/console/hq/staff", N_("Staff and roles"), "staff:manage"),
    NavEntry("/console/hq/api-keys", N_("API keys"), "api_keys:manage"),
    NavEntry("/console/hq/plugins", N_("Plugins"), "plugins:read"),
    NavEntry("/console/hq/audit", N_("Audit log"), "audit:read"),
)


@dataclass(frozen=True)
class Desk:
    """Who is at the console and how they read: language, the tenant's zone and currency."""

    principal: Principal | None
    language: str
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    tenant_name: str = ""
    nav: list[NavEntry] = field(default_factory=list)
    here: str = "/console/"
    """This page's path, where the language switch comes back to."""
    plugin_labels: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    """plugin → language → its translations (``ConsolePages.labels``)."""
    plugin_messages: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    """plugin → language → its refusals' translations (``PluginInfo.messages``, SDK 1.5)."""
    plugin_kinds: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """plugin → figure key → its kind (``ConsolePages.kinds``, SDK 1.5)."""

    def page(self, template: str, status: int = 200, **context: Any) -> Template:
        return Template(template, context=self.context(**context), status_code=status)

    def plugin_page(
        self, plugin: str, template: str, status: int, values: dict[str, Any]
    ) -> Template:
        """A plugin page (``ConsolePage``): its template, its strings, its values masked."""
        context = self.context(**shown_for_plugin(values))
        context["_"] = context["gettext"] = self.plugin_gettext(plugin)
        return Template(f"{plugin}/{template}", context=context, status_code=status)

    def plugin_gettext(self, plugin: str) -> Any:
        """The plugin's labels, then its refusals as its API words them, then the core's."""
        own = self.plugin_labels.get(plugin, {}).get(self.language, {})
        refusals = wording.OwnMessages(self.plugin_messages.get(plugin, {}))
        core = i18n.translator(self.language)
        return lambda message: (
            own.get(message) or refusals.word(message, self.language) or core(message)
        )

    def plugin_part(self, part: dict[str, Any], figures: str) -> dict[str, Any]:
        """A plugin's KPI tile or 360° section (as ``shown``) in the reader's words: its title
        through the plugin's labels, like its keys, and its ``figures`` (the tile's
        ``figures``, the section's ``data``) labelled and formatted (``console.figures``)."""
        plugin = str(part["plugin"])
        gettext = self.plugin_gettext(plugin)
        worded = Figures(gettext, self.plugin_kinds.get(plugin, {}), self.currency)
        return part | {"title": gettext(str(part["title"])), figures: worded(part[figures] or {})}

    def context(self, **context: Any) -> dict[str, Any]:
        """What every template gets; ``errors`` (field → message) in the reader's language."""
        gettext = i18n.translator(self.language)
        if isinstance(context.get("errors"), Mapping):
            context["errors"] = worded_errors(context["errors"], self.language)
        timezone = self.timezone
        return {
            "desk": self,
            "gettext": gettext,
            "_": gettext,
            "ngettext": i18n.plural_translator(self.language),
            "money": lambda fen: i18n.money(fen, self.currency),
            "quantity": i18n.quantity,
            "when": lambda value: i18n.local_time(value, timezone),
            "day": lambda value: i18n.local_time(value, timezone, date_only=True),
            "languages": i18n.LANGUAGES,
            **context,
        }


def language_of(request: Request[Any, Any, Any]) -> str:
    return i18n.language_of(request.cookies.get(i18n.LANGUAGE_COOKIE))


async def provide_desk(
    request: Request[Any, Any, Any],
    session: NamedDependency[AsyncSession],
    plugins: NamedDependency[PluginHost],
) -> Desk:
    """The console's view of the request, given to every page as ``desk``."""
    principal = request.scope.get("user")
    language, here = language_of(request), request.url.path
    if not isinstance(principal, Principal) or principal.tenant_id is None:
        return Desk(None, language, here=here)
    tenant = await session.get(Tenant, principal.tenant_id)
    entries = list(NAV)
    labels = {n: p.console.labels for n, p in plugins.plugins.items() if p.console is not None}
    messages = {n: p.info.messages for n, p in plugins.plugins.items()}
    kinds = {n: p.console.kinds for n, p in plugins.plugins.items() if p.console is not None}
    if any(p.console is not None and p.console.links for p in plugins.plugins.values()):
        entries += _plugin_links(plugins, await plugins.enabled(session), language)
    nav = [entry for entry in entries if principal.can(entry.permission)]
    if tenant is None:
        return Desk(principal, language, nav=nav, here=here, plugin_labels=labels,
                    plugin_messages=messages, plugin_kinds=kinds)  # fmt: skip
    zone, currency, name = tenant.timezone, tenant.currency, tenant.name
    return Desk(principal, language, zone, currency, name, nav, here, labels, messages, kinds)


def _plugin_links(host: PluginHost, enabled: Mapping[str, Any], language: str) -> list[NavEntry]:
    """The header links of the plugins the tenant has on, translated by each plugin."""
    links = []
    for name in sorted(enabled):
        console = host.plugins[name].console
        if console is None:
            continue
        labels = console.labels.get(language, {})
        for link in console.links:
            label = labels.get(link.label, link.label)
            links.append(NavEntry(f"/console/{name}{link.path}", label, link.permission))
    return links
