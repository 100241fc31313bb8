"""Hooks called through pluggy: per-plugin contexts, isolated read-side failures, namespaced
attributes, tracing without arguments, and deprecation warnings at load time."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from pitstop.db.tenant_context import tenant_scope
from pitstop.runtime import Runtime
from pitstop.settings import Settings
from tests.crm.conftest import Crm
from tests.plugins.readers import BAD_SQL, RAISE, Reader
from tests.support.demo import Demo

STEADY, FLAKY, DORMANT = Reader("steady"), Reader("flaky"), Reader("dormant")
ODD = Reader("odd", attributes={"tier": "gold", "a.b": 1, "error": 2, 3: 4, "": 5})
PHONE = "13912345670"


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    readers = (STEADY, FLAKY, DORMANT, ODD)
    for reader in readers:
        reader.failure, reader.erase_fails = None, False
    traced = dataclasses.replace(settings, plugin_trace=True)
    rt = Runtime.build(traced, extra_plugins=readers, poolclass=NullPool)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def crm(demo: Demo) -> Crm:
    """The demo chain with steady, flaky and odd enabled (dormant is installed, not on)."""
    helper = Crm(demo)
    await helper.load_stores()
    for name in ("steady", "flaky", "odd"):
        response = await demo.client.put(
            f"/api/v1/plugins/{name}", json={"enabled": True}, headers=await helper.headers()
        )
        assert response.status_code == 200, response.text
    return helper


@contextmanager
def captured() -> Iterator[list[dict[str, Any]]]:
    """Every log entry from INFO up (the test settings log WARNING and up only)."""
    previous = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        with structlog.testing.capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(wrapper_class=previous)


def _mentions(logs: list[dict[str, Any]], *secrets: str) -> list[dict[str, Any]]:
    return [e for e in logs if any(s in str(v) for v in e.values() for s in secrets)]


async def _profile(crm: Crm, customer_id: str) -> Any:
    return await crm.demo.client.get(
        f"/api/v1/customers/{customer_id}/profile", headers=await crm.headers()
    )


@pytest.mark.parametrize("failure", [RAISE, BAD_SQL])
async def test_a_failing_customer_summary_leaves_a_marker_and_the_profile_answers(
    crm: Crm, failure: str
) -> None:
    # Given two enabled plugins, one of whose customer_summary fails (in Python, or in SQL)
    customer = await crm.customer(phone=PHONE)
    FLAKY.failure = failure
    # When the customer's profile is read
    with captured() as logs:
        response = await _profile(crm, customer["id"])
    # Then it answers 200 with the steady plugin's section, built with its own context
    assert response.status_code == 200, response.text
    sections = {s["plugin"]: s for s in response.json()["sections"]}
    assert sections["steady"]["data"] == {"context_of": "steady"}
    assert sections["steady"]["error"] is None
    # And the failing plugin's section is its title and the marker, nothing else
    assert sections["flaky"] == {
        "title": "Flaky",
        "data": {},
        "plugin": "flaky",
        "error": "unavailable",
    }
    # And a plugin installed but not enabled for the tenant was not asked
    assert "dormant" not in sections
    # And one log line names the hook, the plugin and the exception type, no personal data
    [failed] = [e for e in logs if e["event"] == "plugin_hook_failed"]
    assert failed["hook"] == "customer_summary" and failed["plugin"] == "flaky"
    expected = "RuntimeError" if failure == RAISE else "OperationalError|ProgrammingError"
    assert failed["error_type"] in expected.split("|")
    assert _mentions(logs, customer["id"], PHONE) == []


@pytest.mark.parametrize("failure", [RAISE, BAD_SQL])
async def test_a_failing_customer_attributes_is_marked_and_the_transaction_goes_on(
    crm: Crm, failure: str
) -> None:
    # Given a customer, and the flaky plugin failing to say anything about customers
    customer_id = uuid.UUID((await crm.customer())["id"])
    FLAKY.failure = failure
    runtime = crm.demo.runtime
    async with runtime.sessions() as session, session.begin():
        with tenant_scope(crm.tenant_id), captured() as logs:
            # When the attributes are gathered, as ctx.customer_attributes does
            attributes = await runtime.plugins.customer_attributes(session, customer_id=customer_id)
            # Then the caller's transaction is still usable (the plugin ran in a savepoint)
            assert await session.scalar(text("SELECT 1")) == 1
    # And the steady plugin's facts are there under its name, the flaky one's marker instead
    assert attributes["steady.kind"] == "steady"
    assert attributes["flaky.error"] == "unavailable"
    assert not any(key.startswith("flaky.") and key != "flaky.error" for key in attributes)
    [failed] = [e for e in logs if e["event"] == "plugin_hook_failed"]
    assert (failed["hook"], failed["plugin"]) == ("customer_attributes", "flaky")


async def test_attributes_are_namespaced_and_bad_keys_refused(crm: Crm) -> None:
    # Given a plugin "odd" answering a good key and keys that break the merge rule
    customer_id = uuid.UUID((await crm.customer())["id"])
    runtime = crm.demo.runtime
    async with runtime.sessions() as session:
        with tenant_scope(crm.tenant_id), captured() as logs:
            # When the attributes are gathered
            attributes = await runtime.plugins.customer_attributes(session, customer_id=customer_id)
    # Then only the good key arrives, prefixed with the plugin's name
    assert {k: v for k, v in attributes.items() if k.startswith("odd.")} == {"odd.tier": "gold"}
    # And each refused key is logged once with the plugin and the reason (never the value)
    refused = [e for e in logs if e["event"] == "plugin_attribute_refused"]
    assert sorted(e["key"] for e in refused) == ["", "3", "a.b", "error"]
    assert {e["plugin"] for e in refused} == {"odd"}


async def test_write_side_hooks_fail_loudly(crm: Crm) -> None:
    # Given a plugin whose erase_customer fails
    customer_id = uuid.UUID((await crm.customer())["id"])
    STEADY.erase_fails = True
    runtime = crm.demo.runtime
    async with runtime.sessions() as session:
        # When the customer is erased, Then the failure propagates (the erase rolls back)
        with tenant_scope(crm.tenant_id), pytest.raises(RuntimeError, match="steady cannot"):
            await runtime.plugins.erase_customer(session, customer_id=customer_id)


async def test_tracing_logs_hook_plugin_and_duration_never_arguments(crm: Crm) -> None:
    # Given tracing on (PITSTOP_PLUGIN_TRACE=1 does this) and a failing plugin
    customer = await crm.customer(phone=PHONE)
    FLAKY.failure = RAISE
    # When the profile is read
    with captured() as logs:
        assert (await _profile(crm, customer["id"])).status_code == 200
    # Then each plugin's customer_summary call is one line, timed to its awaited end
    calls = {e["plugin"]: e for e in logs if e["event"] == "hook_call"}
    assert calls["steady"]["hook"] == "customer_summary" and calls["steady"]["outcome"] == "ok"
    assert calls["flaky"]["outcome"] == "RuntimeError"
    assert all(isinstance(e["ms"], float) and e["ms"] >= 0 for e in calls.values())
    # And no line carries the arguments (the customer id) or personal data
    assert _mentions(logs, customer["id"], PHONE) == []


async def test_a_host_hook_wrapper_wraps_each_plugins_call(crm: Crm) -> None:
    # Given a hook wrapper the host registers with pluggy (not a partner plugin)
    from pitstop.sdk import hookimpl

    seen: list[str] = []

    class Watch:
        @hookimpl(wrapper=True)
        def customer_summary(self, ctx: Any) -> Any:
            seen.append(ctx.plugin)
            return (yield)

    crm.demo.runtime.plugins.pm.register(Watch())
    customer = await crm.customer()
    # When the profile is read
    response = await _profile(crm, customer["id"])
    # Then the wrapper saw every enabled plugin's own call, and the sections are intact
    assert response.status_code == 200
    assert {"steady", "flaky"} <= set(seen) and "dormant" not in seen
    assert {"steady", "flaky"} <= {s["plugin"] for s in response.json()["sections"]}
