"""The plugin contract: every hook a plugin may implement, with its exact arguments.

Hooks are called with keyword arguments only, and an implementation may accept a subset
of them (pluggy's rule), so a spec can grow by adding arguments without breaking any
plugin. Hooks whose name says "per tenant" receive a :class:`~pitstop.sdk.PluginContext`
bound to one tenant and one plugin, and are called only for plugins that tenant enabled.
Async implementations return awaitables; the host awaits every result.

``docs/plugins.md`` has one section per hook; a test fails when they disagree.

The SDK evolves through pluggy's deprecation markers: a hook or an argument on its way out
gets ``warn_on_impl`` / ``warn_on_impl_args`` with an :class:`SdkDeprecationWarning`, so
every plugin still implementing it is warned (and the host logs it) at load time, for at
least one minor SDK release before the next major removes it (``docs/plugins.md``,
"Deprecations").
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from pitstop.crm.discounts import DiscountOffer
    from pitstop.insights.schemas import KpiTile
    from pitstop.plugin_host.console_hooks import ConsolePages, CustomerPanel
    from pitstop.plugin_host.context import PluginContext
    from pitstop.plugin_host.types import (
        EventHandler,
        PluginInfo,
        ReadFirst,
        Schedule,
        Section,
        TaskHandler,
    )
    from pitstop.sdk_orders import ServiceOrderView
    from pitstop.tenancy.periods import Period

PROJECT = "pitstop"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class SdkDeprecationWarning(DeprecationWarning):
    """A plugin uses a part of the SDK the next major version removes; the message says
    what to use instead."""


@hookspec
def plugin_info() -> PluginInfo:  # type: ignore[empty-body]
    """Who the plugin is: name, version, title, the SDK range it was written for, its
    settings schema (a msgspec Struct whose defaults are the defaults), the permissions it
    adds with their default role grants, and the plugins it depends on.

    Required: a plugin without it is refused at load time.
    """


@hookspec
def routes() -> Sequence[Any]:  # type: ignore[empty-body]
    """Litestar controllers or route handlers, mounted under ``/api/v1/<plugin>/``.

    The host guards every one of them with "enabled for this tenant" (404
    ``plugin_disabled`` otherwise) and with the handler's ``opt={"permission": ...}``
    (or ``opt={"authenticated": True}``); a handler that declares neither stops the app at
    start-up, naming the route. A handler receives its context as
    ``ctx: NamedDependency[PluginContext]``.
    """


@hookspec
def migrations() -> Path:  # type: ignore[empty-body]
    """The plugin's Alembic version directory; its branch label is the plugin's name."""


@hookspec
def subscriptions() -> Mapping[str, EventHandler]:  # type: ignore[empty-body]
    """``{event type: async handler(ctx, event)}``, run on workers for tenants that enabled
    the plugin. Delivery is at least once; the host makes the effect exactly once by
    committing the handler's writes together with the delivery's ``done`` mark."""


@hookspec
def schedules() -> Sequence[Schedule]:  # type: ignore[empty-body]
    """Periodic jobs: a cron expression evaluated in each tenant's time zone, run once per
    tenant that enabled the plugin (six fields allow seconds: ``*/30 * * * * *`` is not
    valid, use ``* * * * * */30``)."""


@hookspec
def tasks() -> Mapping[str, TaskHandler | ReadFirst]:  # type: ignore[empty-body]
    """``{name: async handler(ctx, **arguments)}``: work a plugin defers to an exact instant
    with ``ctx.defer(name, at=..., **arguments)`` (a delayed broker message, sent after the
    transaction commits). Handlers must tolerate duplicates and lateness. A
    :class:`ReadFirst` value runs its ``check`` in a read-only transaction first and its
    ``run`` only when the check returns true."""


@hookspec
def commands() -> Sequence[click.Command]:  # type: ignore[empty-body]
    """Click commands mounted as ``pitstop <plugin> <command>`` (Datasette's
    ``register_commands``): operator work that has no place in a request, such as a backfill.

    A command reaches tenant data only through :func:`~pitstop.sdk.for_each_tenant`, which
    runs a coroutine in one tenant scope (and one transaction) at a time with a context.
    """


@hookspec(
    warn_on_impl_args={
        "settings": SdkDeprecationWarning(
            "on_tenant_enabled(settings): deprecated in SDK 1.1, removed in 2.0;"
            " read ctx.settings (the same validated settings, typed by the context)"
        )
    }
)
def on_tenant_enabled(ctx: PluginContext, settings: Any) -> Awaitable[None] | None:
    """Called once when a tenant turns the plugin on (not when it is re-saved while on):
    set up defaults, seed rows. Runs inside the same transaction as the switch.

    ``settings`` is deprecated (SDK 1.1): it is ``ctx.settings``; an implementation asking
    for it is warned at load time."""


@hookspec
def customer_summary(ctx: PluginContext, customer_id: uuid.UUID) -> Awaitable[Section | None]:  # type: ignore[empty-body]
    """A section of the customer 360° view (``GET /api/v1/customers/{id}/profile``), or
    None when the plugin has nothing to say about this customer."""


@hookspec
def customer_attributes(  # type: ignore[empty-body]
    ctx: PluginContext, customer_id: uuid.UUID
) -> Awaitable[Mapping[str, Any]]:
    """Facts about a customer other plugins may base rules on (``{"tier": "gold"}``).
    Read by ``ctx.customer_attributes(customer_id)``, merged across enabled plugins with
    the host prefixing each key with the plugin's name (``membership.tier``)."""


@hookspec
def customer_filter(  # type: ignore[empty-body]
    ctx: PluginContext, name: str, value: str
) -> Awaitable[Any | None]:
    """SDK 1.3: the customers whose attribute ``name`` (as the plugin names it in
    ``customer_attributes``: ``tier``) equals ``value``, as a one-column ``select(...)`` of
    customer ids over the plugin's own tables; None when the plugin filters on no such
    attribute. The customer list narrows to ``customers.id IN (that select)`` in SQL, so the
    plugin indexes ``(tenant_id, <attribute>)``. An unknown value is the plugin's 422 naming
    the parameter (``Unprocessable.field(name, ...)``)."""


@hookspec
def export_customer(  # type: ignore[empty-body]
    ctx: PluginContext, customer_id: uuid.UUID
) -> Awaitable[Mapping[str, Any] | None]:
    """Everything the plugin holds about the customer, for a data-subject access request
    (PIPL/GDPR). Raw values: the export is itself audited and permission-guarded."""


@hookspec
def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> Awaitable[None]:  # type: ignore[empty-body]
    """Anonymise the plugin's personal data about the customer, irreversibly, inside the
    erase transaction. Keep financial and aggregate records (without personal data)."""


@hookspec
def demo_data(ctx: PluginContext) -> Awaitable[str | None]:  # type: ignore[empty-body]
    """Show the plugin at work in a demo tenant: called by ``pitstop demo`` for each demo
    tenant that enabled the plugin, after the demo CRM book is loaded, inside that tenant's
    transaction. Deterministic and idempotent (a second ``pitstop demo`` changes nothing);
    returns one line for the demo's printout, or None."""


@hookspec
def redeem_code(  # type: ignore[empty-body]
    ctx: PluginContext, order: ServiceOrderView, code: str
) -> Awaitable[DiscountOffer | None]:
    """A code typed at the front desk for an open service order (``POST
    /api/v1/service-orders/{id}/vouchers``): None when the code is not this plugin's;
    otherwise validate it against the order (raise ``Unprocessable.field("code", ...)``
    with a code of your own when it cannot be used), hold it for this order exactly once,
    and answer the :class:`~pitstop.sdk.DiscountOffer` it is worth. The core adds the
    ``discount`` lines in the same transaction. Plugins are asked in pluggy's order and the
    first offer wins (SDK 1.2)."""


@hookspec
def kpis(  # type: ignore[empty-body]
    ctx: PluginContext, period: Period, store_id: uuid.UUID | None
) -> Awaitable[KpiTile | None]:
    """The plugin's tile on the KPI board (``GET /api/v1/insights/kpis``) for the local days
    of ``period`` (``period.start_at``/``period.end_at`` are its UTC bounds, end exclusive),
    for one store or, with ``store_id`` None, for every store the caller sees
    (``ctx.principal.store_ids``; None: all). Compute figures in SQL (``GROUP BY``), never
    by reading rows into Python; money in fen. None when there is nothing to show (SDK 1.3)."""


@hookspec
def channels() -> Sequence[Any]:  # type: ignore[empty-body]
    """Channel adapters (:class:`~pitstop.sdk.Channel`): ``name``, ``reaches`` (the medium
    a customer consents to: ``sms``, ``wecom``), ``capabilities`` (``customer``, ``staff``),
    ``settings`` (the plugin's settings Struct, or None) and ``async send(message) ->
    Receipt``. A channel is used for a tenant that enabled its plugin, with that tenant's
    settings in ``message.settings``; the built-in ``console`` is used where none is."""


@hookspec
def console_pages() -> ConsolePages:  # type: ignore[empty-body]
    """The plugin's pages of the web console (:class:`~pitstop.sdk.ConsolePages`): Litestar
    handlers mounted under ``/console/<plugin>/``, links for the console's header (each
    with the permission a reader needs to see it) and a directory of Jinja templates.

    The pages are the console's: the session cookie, CSRF on every post, the security
    headers and the error pages apply, a tenant that has the plugin off gets the 404 page,
    and every handler declares its ``opt`` permission like an API route. A handler takes
    ``ctx: NamedDependency[PluginContext]`` and ``page: NamedDependency[ConsolePage]`` and
    returns ``page("file.html", **values)``: the values are masked for the reader exactly
    as core pages are (SDK 1.3)."""


@hookspec
def customer_panels(  # type: ignore[empty-body]
    ctx: PluginContext, customer_id: uuid.UUID
) -> Awaitable[CustomerPanel | None]:
    """The plugin's panel on the console's 360° page (:class:`~pitstop.sdk.CustomerPanel`),
    drawn by one of its ``console_pages`` templates with ``values`` masked for the reader;
    it replaces the plugin's ``customer_summary`` section there. A plugin that fails shows
    "unavailable" in its place and the page still answers (SDK 1.3)."""


STATIC_HOOKS = (
    "plugin_info",
    "routes",
    "migrations",
    "subscriptions",
    "schedules",
    "tasks",
    "commands",
    "channels",
    "console_pages",
)
"""Hooks without arguments, asked once per plugin when it is registered."""

PER_TENANT_HOOKS = (
    "on_tenant_enabled",
    "demo_data",
    "customer_summary",
    "customer_attributes",
    "customer_filter",
    "export_customer",
    "erase_customer",
    "redeem_code",
    "kpis",
    "customer_panels",
)
"""Hooks the host calls, per request, for each plugin the tenant in context enabled, each
with its own context; the host refuses to call any other hook that way."""
