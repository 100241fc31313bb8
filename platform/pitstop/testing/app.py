"""``plugin_app``: a Pitstop app with your plugin installed and on for a fresh tenant.

What ``Datasette(memory=True).client`` is to a Datasette plugin: the real app (routes,
permissions, masking, outbox, deliveries), built for one test and thrown away after it.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from click.testing import Result
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from pitstop.access.permissions import STORE_SCOPED_ROLES
from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import OutboxEvent
from pitstop.runtime import Runtime
from pitstop.sdk import PluginContext
from pitstop.tenancy.models import Store, Tenant
from pitstop.testing import records
from pitstop.testing import runtime as core
from pitstop.testing.client import RoleClient
from pitstop.testing.clock import DEFAULT_START, Clock
from pitstop.testing.console import ConsoleClient
from pitstop.testing.queue import DrainError, KitBroker, Pending
from pitstop.testing.tenant import (
    DEFAULT_STORES,
    SLUG,
    manifest,
    migrated_database,
    settings_for,
    staff_email,
    write_manifest,
)

ENTRY_POINT_GROUP = "pitstop"
MAX_MESSAGES = 10_000
"""A drain that runs more messages than this is a loop (a task deferring itself now)."""


class PluginApp:
    """The app, its tenant, its clock and its queue; made by :func:`plugin_app`."""

    def __init__(
        self, runtime: Runtime, http: AsyncTestClient[Litestar], clock: Clock, broker: KitBroker
    ) -> None:
        self._runtime, self.http, self.clock, self._broker = runtime, http, clock, broker
        self.plugin = next(iter(runtime.plugins.plugins))
        """The plugin under test (the first one given)."""
        self.tenant_id = uuid.UUID(int=0)
        self.stores: dict[str, str] = {}
        """Store code → store id, in the order the stores were given (the first is the
        default store of store-scoped roles and orders)."""
        self._clients: dict[tuple[str, str | None], RoleClient] = {}
        self._mileage = 10_000

    async def _load_tenant(self, codes: Sequence[str]) -> None:
        async with self._runtime.sessions() as session:
            tenant = (await session.scalars(select(Tenant).where(Tenant.slug == SLUG))).one()
            self.tenant_id = tenant.id
            with tenant_scope(tenant.id):
                rows = {s.code: str(s.id) for s in (await session.scalars(select(Store))).all()}
        self.stores = {code: rows[code] for code in codes}

    # -- signing in ----------------------------------------------------------------------

    def client(self, role: str = "hq_admin", store: str | None = None) -> RoleClient:
        """A client signed in as the tenant's ``role``; a store-scoped role
        (``store_manager``, ``service_advisor``, ``technician``) works at ``store`` (a
        store code; the first store when omitted)."""
        if role in STORE_SCOPED_ROLES:
            store = store or next(iter(self.stores))
        elif store is not None:
            raise ValueError(f"{role} is not store-scoped: it works at every store")
        key = (role, store)
        if key not in self._clients:
            email = staff_email(role, store)

            async def mint() -> str:
                return await core.mint_access_token(self._runtime, self.tenant_id, email)

            ttl = self._runtime.settings.token_ttl_seconds
            self._clients[key] = RoleClient(self.http, mint, self.clock, ttl)
        return self._clients[key]

    def console(self, role: str = "hq_admin", store: str | None = None) -> ConsoleClient:
        """The web console as ``role`` (a cookie session and the CSRF token on posts), for
        a plugin's ``console_pages`` and ``customer_panels`` (SDK 1.3)."""
        return ConsoleClient(self.http.app, self.client(role, store))

    # -- background work -----------------------------------------------------------------

    async def drain(self, *, schedule: str | None = None, raise_errors: bool = True) -> int:
        """Run, in this process and now, everything the worker would have run by the
        clock's instant: outbox publication, event deliveries, plugin tasks whose ``at``
        has come, and (when named) one of the plugin's schedules, with what they send in
        turn. Failing messages are retried as the worker retries them (without backoff);
        any still failing raise :class:`DrainError` unless ``raise_errors`` is False.
        Returns how many messages ran."""
        if schedule is not None:
            core.send_schedule(self._runtime, self.tenant_id, self.plugin, schedule)
        broker, ran, failed = self._broker, 0, []
        while (pending := broker.take_due()) is not None:
            ran += 1
            if ran > MAX_MESSAGES:
                raise RuntimeError("drain(): more than 10,000 messages; is a task looping?")
            if not await self._run(pending):
                failed.append(pending)
        if failed and raise_errors:
            last = failed[0].errors[-1]
            raise DrainError(failed) from last.__cause__ or last  # the handler's own error
        return ran

    async def _run(self, pending: Pending) -> bool:
        """One message with its retries; False when it failed for good."""
        retries = core.RETRIES.get(pending.actor, 0)
        while True:
            pending.attempts += 1
            try:
                outcome = await core.run_message(self._runtime, pending)
            except Exception as exc:
                pending.errors.append(exc)
                if pending.attempts > retries:
                    return False
                continue
            return outcome != "failed"

    @property
    def queued(self) -> list[Pending]:
        """Messages sent and not yet run (including those due later by the clock)."""
        return list(self._broker.pending)

    @asynccontextmanager
    async def context(self, plugin: str | None = None) -> AsyncIterator[PluginContext]:
        """The context a schedule or task of ``plugin`` gets, in one transaction committed
        at exit: for calling your own service functions directly."""
        async with core.plugin_context(self._runtime, self.tenant_id, plugin or self.plugin) as ctx:
            yield ctx

    async def command(self, *args: str) -> Result:
        """Run one of the plugin's commands, ``pitstop <plugin> <args...>``, against this
        app's database and clock; the click result has ``exit_code`` and ``output``."""
        return await core.invoke_command(self._runtime, self.plugin, args)

    async def events(self, type: str) -> list[dict[str, Any]]:
        """Payloads of the tenant's outbox events of one type, oldest first."""
        async with self._runtime.sessions() as session:
            with tenant_scope(self.tenant_id):
                rows = await session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.type == type)
                    .order_by(OutboxEvent.occurred_at, OutboxEvent.id)
                )
                return [dict(event.payload) for event in rows.all()]

    # -- core records --------------------------------------------------------------------

    async def customer(self, **fields: Any) -> dict[str, Any]:
        """A customer made through the API by the HQ admin (name and phone filled in)."""
        return await records.create_customer(self.client(), **fields)

    async def vehicle(self, customer_id: str, **fields: Any) -> dict[str, Any]:
        """A vehicle of ``customer_id`` (valid VIN and plate filled in)."""
        return await records.create_vehicle(self.client(), customer_id, **fields)

    async def order(
        self,
        customer_id: str | None = None,
        vehicle_id: str | None = None,
        *,
        store: str | None = None,
        lines: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """An open service order (a new customer and vehicle when none is given)."""
        if customer_id is None:
            customer_id = str((await self.customer())["id"])
        if vehicle_id is None:
            vehicle_id = str((await self.vehicle(customer_id))["id"])
        store_id = self.stores[store or next(iter(self.stores))]
        return await records.open_order(self.client(), store_id, customer_id, vehicle_id, lines)

    async def completed_order(
        self,
        customer_id: str | None = None,
        vehicle_id: str | None = None,
        *,
        store: str | None = None,
        lines: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A service order opened and completed (``service_order.completed`` is in the
        outbox: ``drain()`` hands it to your subscription)."""
        order = await self.order(customer_id, vehicle_id, store=store, lines=lines)
        self._mileage += 100
        return await records.complete_order(self.client(), str(order["id"]), self._mileage)


def _resolve(plugin: object | str) -> object:
    """A plugin module (or object) as given, or the one an installed entry point names."""
    if not isinstance(plugin, str):
        return plugin
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP, name=plugin)
    if not found:
        raise LookupError(f"no plugin named {plugin!r} is installed (entry point group pitstop)")
    return next(iter(found)).load()


@asynccontextmanager
async def plugin_app(
    plugin: object | str,
    *others: object | str,
    settings: Mapping[str, Any] | None = None,
    stores: Sequence[Mapping[str, Any]] = DEFAULT_STORES,
    timezone: str = "Asia/Shanghai",
    start: dt.datetime = DEFAULT_START,
    directory: Path | None = None,
    database_url: str | None = None,
    migration_url: str | None = None,
) -> AsyncIterator[PluginApp]:
    """An app with ``plugin`` (a module, or an installed entry-point name) installed and
    enabled, with ``settings``, for a fresh tenant on embedded SQLite; ``others`` are
    installed and enabled with their defaults too (plugins yours depends on or talks to).

    The tenant is a chain with ``stores`` (manifest entries; one store ``S001`` by default)
    and a staff member for every built-in role. The clock starts at ``start``. Files go in
    a new directory inside ``directory`` (pytest's ``tmp_path``, kept for a failed test's
    post-mortem), else in a temporary directory removed at exit.
    ``database_url`` (with ``migration_url`` for the owning role) puts the app on an
    empty database server instead, for plugins that must be tested on PostgreSQL too.
    """
    modules = [_resolve(p) for p in (plugin, *others)]
    clock = Clock(start)
    # A directory of its own even inside a given one: two apps never share a database.
    home = Path(tempfile.mkdtemp(prefix="pitstop-kit-", dir=directory))
    try:
        async with AsyncExitStack() as stack:
            config = settings_for(home, database_url, migration_url)
            broker = KitBroker(clock)
            runtime = core.build_runtime(config, modules, clock, broker)
            stack.push_async_callback(core.close, runtime)
            await migrated_database(runtime.settings, core.migration_dirs(runtime))
            names = list(runtime.plugins.plugins)
            wanted: dict[str, Mapping[str, Any]] = {name: {} for name in names[1:]} | {
                names[0]: dict(settings or {})
            }
            spec = manifest(stores, wanted, timezone)
            await core.provision_directory(runtime, write_manifest(home / "tenants", spec).parent)
            served = stack.enter_context(core.leased_app(runtime))
            http = await stack.enter_async_context(AsyncTestClient(app=served))
            app = PluginApp(runtime, http, clock, broker)
            await app._load_tenant([str(store["code"]) for store in stores])
            yield app
    finally:
        if directory is None:
            shutil.rmtree(home, ignore_errors=True)
