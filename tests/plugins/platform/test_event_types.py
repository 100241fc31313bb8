"""Event payload types: declared by their emitter, checked at emit, published for readers."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
from sqlalchemy import event, func, select

from pitstop.db.tenant_context import tenant_scope
from pitstop.events.models import OutboxEvent
from pitstop.events.outbox import emit
from pitstop.events.payloads import CORE_EVENT_TYPES, ServiceOrderFacts
from pitstop.plugin_host.event_types import catalog_of
from pitstop.plugin_host.manager import PluginHost, PluginRefused
from pitstop.runtime import Runtime
from pitstop.sdk import (
    EventPayloadInvalid,
    EventType,
    NoSettings,
    PluginContext,
    PluginInfo,
    UndeclaredEvent,
    hookimpl,
)
from pitstop.tenancy.models import Tenant
from tests.plugins import sample
from tests.support.demo import Demo
from tests.support.events import completed_order

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


@asynccontextmanager
async def _sample_context(runtime: Runtime) -> AsyncIterator[PluginContext]:
    """The sample plugin's context in the demo chain, in a transaction that commits."""
    async with runtime.sessions() as session, session.begin():
        chain = select(Tenant.id).where(Tenant.slug == "demo-chain")
        with tenant_scope((await session.scalars(chain)).one()):
            yield await runtime.plugins.context(session, "sample")


async def _outbox(runtime: Runtime, type: str) -> list[dict[str, object]]:
    async with runtime.sessions() as session:
        chain = select(Tenant.id).where(Tenant.slug == "demo-chain")
        with tenant_scope((await session.scalars(chain)).one()):
            rows = await session.scalars(select(OutboxEvent).where(OutboxEvent.type == type))
            return [row.payload for row in rows.all()]


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"order_id": "o-1", "total": "100"}, "Expected `int`, got `str` - at `$.total`"),
        ({"order_id": "o-1"}, "missing required field `total`"),
        ({"order_id": "o-1", "total": 1, "phone_hash": "x"}, "unknown field `phone_hash`"),
    ],
)
async def test_a_plugin_payload_that_does_not_match_its_type_fails_at_emit(
    demo: Demo, runtime: Runtime, payload: dict[str, object], named: str
) -> None:
    # Given the sample plugin, which declares sample.happened {order_id: str, total: int}
    # When it emits a payload that does not match
    with pytest.raises(EventPayloadInvalid) as invalid:
        async with _sample_context(runtime) as ctx:
            await ctx.emit("sample.happened", payload)
    # Then the emit itself fails, naming the type, the Struct and the field
    assert str(invalid.value).startswith("event sample.happened payload does not match")
    assert named in str(invalid.value)
    # And nothing reached the outbox
    assert await _outbox(runtime, "sample.happened") == []


async def test_a_declared_struct_is_stored_as_json_values(demo: Demo, runtime: Runtime) -> None:
    # Given the sample plugin's own payload Struct
    # When it emits one
    async with _sample_context(runtime) as ctx:
        await ctx.emit("sample.happened", sample.SampleHappened(order_id="o-1", total=7))
    # Then the outbox holds its JSON values
    assert await _outbox(runtime, "sample.happened") == [{"order_id": "o-1", "total": 7}]


async def test_a_struct_is_checked_too_though_msgspec_builds_it_unchecked(
    demo: Demo, runtime: Runtime
) -> None:
    # Given payloads msgspec builds without checking: a wrong field type, a wrong Struct
    wrong_type = sample.SampleHappened(order_id="o-1", total="7")  # type: ignore[arg-type]
    wrong_struct = completed_order()
    # When the plugin emits them, Then each fails at emit
    async with _sample_context(runtime) as ctx:
        with pytest.raises(EventPayloadInvalid, match=r"`\$\.total`"):
            await ctx.emit("sample.happened", wrong_type)
        with pytest.raises(EventPayloadInvalid, match="carries SampleHappened, not Service"):
            await ctx.emit("sample.happened", wrong_struct)


async def test_a_plugin_cannot_emit_a_type_another_emitter_declares(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the core's service_order.completed (membership earns points on it)
    # When the sample plugin emits one, even a well-formed one
    with pytest.raises(UndeclaredEvent, match=r"sample cannot emit service_order\.completed"):
        async with _sample_context(runtime) as ctx:
            await ctx.emit("service_order.completed", completed_order())
    # Then it is refused, so no plugin can forge the core's events
    assert await _outbox(runtime, "service_order.completed") == []


async def test_an_undeclared_plugin_type_still_goes_out_in_sdk_1_with_a_warning(
    demo: Demo, runtime: Runtime
) -> None:
    # Given a plugin written for SDK 1.0, which declares no event types
    # When it emits a type nobody declares
    with pytest.warns(DeprecationWarning, match=r"does not declare in PluginInfo\.events"):
        async with _sample_context(runtime) as ctx:
            await ctx.emit("sample.legacy", {"order_id": "o-1"})
    # Then the event is written as before (SDK 2.0 refuses it)
    assert await _outbox(runtime, "sample.legacy") == [{"order_id": "o-1"}]


async def test_emit_many_checks_every_payload_and_writes_them_in_one_statement(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the sample plugin, and a count of the outbox's INSERTs
    inserts: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO outbox_events"):
            inserts.append(1)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        # When it emits a batch with one bad payload among good ones
        with pytest.raises(EventPayloadInvalid, match="missing required field `total`"):
            async with _sample_context(runtime) as ctx:
                await ctx.emit_many("sample.happened", [{"order_id": "m-0", "total": 1},
                                                        {"order_id": "m-1"}])  # fmt: skip
        # Then nothing is written
        assert (await _outbox(runtime, "sample.happened"), inserts) == ([], [])
        # When it emits three good ones, a Struct among them
        async with _sample_context(runtime) as ctx:
            ids = await ctx.emit_many(
                "sample.happened",
                [{"order_id": f"m-{n}", "total": n} for n in range(2)]
                + [sample.SampleHappened(order_id="m-2", total=2)],
            )
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    # Then the three are in the outbox, written in one INSERT, their ids returned in the
    # payloads' order (ids are UUIDv7, made one after the other: their order is the payloads')
    assert sorted(await _outbox(runtime, "sample.happened"), key=str) == [
        {"order_id": f"m-{n}", "total": n} for n in range(3)
    ]
    assert (len(inserts), len(set(ids))) == (1, 3)
    assert ids == sorted(ids)


async def test_the_core_emits_only_declared_types_with_matching_payloads(
    demo: Demo, runtime: Runtime
) -> None:
    async with runtime.sessions() as session, session.begin():
        chain = select(Tenant.id).where(Tenant.slug == "demo-chain")
        with tenant_scope((await session.scalars(chain)).one()):
            # Given core code emitting a completed order without its figures
            # Then emit fails, naming the missing field
            with pytest.raises(EventPayloadInvalid, match="missing required field `store_id`"):
                await emit(session, "service_order.completed", {"order_id": str(uuid.uuid4())})
            # And a type the core never declared is refused
            with pytest.raises(UndeclaredEvent, match=r"service_order\.finished is not declared"):
                await emit(session, "service_order.finished", completed_order())
            # While a whole payload goes out
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                await emit(session, "service_order.completed", completed_order(total=100))
            count = select(func.count()).select_from(OutboxEvent)
            assert await session.scalar(count) == 1


async def test_event_types_are_published_with_emitter_version_and_schema(
    demo: Demo, runtime: Runtime
) -> None:
    # Given the core, the first-party plugins and the sample plugin
    # When a technician (any signed-in role) reads the event types
    response = await demo.client.get(
        "/api/v1/events/types", headers=await demo.headers("technician")
    )
    # Then every declared type is there, with who emits it, its version and JSON Schema
    assert response.status_code == 200, response.text
    published = {item["type"]: item for item in response.json()["items"]}
    completed = published["service_order.completed"]
    assert (completed["emitter"], completed["version"]) == ("core", 1)
    assert completed["schema"] == msgspec.json.schema(ServiceOrderFacts)
    assert published["complaint.breached"]["emitter"] == "complaints"
    assert published["membership.tier_changed"]["emitter"] == "membership"
    assert (
        "from"
        in published["membership.tier_changed"]["schema"]["$defs"]["TierChanged"]["properties"]
    )
    assert published["sample.happened"]["emitter"] == "sample"
    assert set(published) == set(catalog_of(runtime.plugins.plugins).types)
    # And without a token the list is not served
    anonymous = await demo.client.get("/api/v1/events/types")
    assert anonymous.status_code == 401


def test_a_plugin_cannot_declare_the_cores_types_or_one_type_twice() -> None:
    # Given declarations that would shadow the core's event or repeat one
    # When a plugin states them, Then its PluginInfo is refused at once, naming the type
    with pytest.raises(ValueError, match=r"\['service_order\.completed'\] are the core's"):
        PluginInfo("x", "1", "X", events=(EventType("service_order.completed", NoSettings),))
    with pytest.raises(ValueError, match="names a type twice"):
        PluginInfo("x", "1", "X", events=(sample.HAPPENED, sample.HAPPENED))


def test_every_installed_type_is_documented_with_its_emitter(runtime: Runtime) -> None:
    # Given the event types of the core and of the installed plugins (not the test sample)
    catalog = catalog_of({n: p for n, p in runtime.plugins.plugins.items() if n != "sample"})
    page = DOCS.read_text()
    # Then docs/events.md has a row for each: its name and emitter
    missing = [
        f"{name} ({emitter})"
        for name, (emitter, _) in catalog.types.items()
        if f"| `{name}` | {emitter} |" not in page
    ]
    assert missing == []
    assert {t.name for t in CORE_EVENT_TYPES} <= set(catalog.types)


def test_a_second_plugin_declaring_anothers_type_is_refused_at_load() -> None:
    # Given a host with the sample plugin, which declares sample.happened
    host = PluginHost()
    host.register(sample)
    copycat = SimpleNamespace(
        plugin_info=hookimpl(
            lambda: PluginInfo("copycat", "1", "Copycat", events=(sample.HAPPENED,))
        )
    )
    # When a second plugin declares the same type, Then it is refused by name at load
    with pytest.raises(PluginRefused, match=r"plugin copycat: .*sample\.happened"):
        host.register(copycat)
    # And the host is as it was: the sample alone, the copycat not half-registered
    assert list(host.plugins) == ["sample"]
    assert host.pm.get_plugin("copycat") is None
