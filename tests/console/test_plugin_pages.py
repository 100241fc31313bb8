"""The console's plugin hooks on a stand-in plugin: what the core guarantees whatever a
plugin does — masking of declared and undeclared personal data, a failing panel shown as
"unavailable", and a page without an access rule refused at start-up. The first-party
plugins' pages have their own tests (tests/plugins/complaints/on_kit/test_console_pages.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from litestar import Controller, get
from litestar.di import NamedDependency

from pitstop.sdk import (
    ConsoleLink,
    ConsolePage,
    ConsolePages,
    CustomerPanel,
    PluginContext,
    PluginInfo,
    Sensitive,
    hookimpl,
    permission,
)
from pitstop.testing import PluginApp, plugin_app

PHONE = "13912345678"
EVERYONE = {"hq_admin", "store_manager", "service_advisor", "technician"}


class StandInPages(Controller):
    path = "/"

    @get("/", opt={"permission": "standin:read"})
    async def page_of_phones(self, page: NamedDependency[ConsolePage]) -> Any:
        return page("page.html", declared=Sensitive(PHONE, "phone"), typed=f"回电 {PHONE}")


class StandIn:
    """A plugin with one page that shows phones and a 360° panel that always fails."""

    @hookimpl
    def plugin_info(self) -> PluginInfo:
        read = permission("standin:read", "Read the stand-in page", EVERYONE)
        return PluginInfo(name="standin", version="1", title="Stand-in", permissions=(read,))

    @hookimpl
    def console_pages(self) -> ConsolePages:
        return ConsolePages(
            handlers=[StandInPages],
            links=[ConsoleLink("/", "Stand-in", "standin:read")],
            templates=Path(__file__).parent / "standin_templates",
            labels={"zh_CN": {"Stand-in": "替身"}},
        )

    @hookimpl
    async def customer_panels(self, ctx: PluginContext, customer_id: uuid.UUID) -> CustomerPanel:
        raise RuntimeError("the stand-in's panel always fails")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PluginApp]:
    """One stand-in app for the module's read-only tests."""
    async with plugin_app(StandIn(), directory=tmp_path_factory.mktemp("standin")) as kit:
        yield kit


@pytest.mark.asyncio(loop_scope="module")
async def test_a_plugin_page_is_masked_and_translated_for_the_reader(app: PluginApp) -> None:
    # When a technician (who sees no phone) and HQ open the stand-in's page
    technician = await app.console("technician").get("/console/standin/")
    admin = await app.console("hq_admin").get("/console/standin/")
    # Then the technician sees both phones masked, the declared one and the one in text
    assert technician.status_code == 200, technician.text
    assert PHONE not in technician.text
    assert technician.text.count("139****5678") == 2
    # And HQ sees them in full, under the plugin's own Chinese strings and link
    assert admin.text.count(PHONE) == 2
    assert '<p id="title">替身</p>' in admin.text
    assert '<a href="/console/standin/">替身</a>' in admin.text


@pytest.mark.asyncio(loop_scope="module")
async def test_a_failing_panel_is_unavailable_and_the_360_page_still_answers(
    app: PluginApp,
) -> None:
    customer = await app.customer()
    # When the 360° page asks the stand-in for its panel, and it raises
    page = await app.console().get(f"/console/customers/{customer['id']}")
    # Then the page answers with the panel's title and "unavailable" in its place
    assert page.status_code == 200, page.text
    panel = page.text.split('id="panel-standin"')[1].split("</section>")[0]
    assert "<h2>替身</h2>" in panel and "此部分暂时无法显示。" in panel


class Undeclared(Controller):
    path = "/"

    @get("/")
    async def anyone(self) -> str:
        return "no rule"


class Careless(StandIn):
    @hookimpl
    def console_pages(self) -> ConsolePages:
        return ConsolePages(handlers=[Undeclared])


async def test_a_plugin_page_without_an_access_rule_stops_the_app(tmp_path: Path) -> None:
    # When a plugin's console page declares no permission
    # Then the app refuses to start, naming the plugin and the page
    with pytest.raises(Exception, match=r"plugin standin: GET /console/standin"):
        async with plugin_app(Careless(), directory=tmp_path):
            pass
