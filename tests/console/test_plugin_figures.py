"""Every key a first-party plugin puts on the KPI board or a 360° section, and every such
tile's or section's title, has a Chinese label (or is an id the console hides), and the
console words the values by kind.

The keys are read from the plugins' source: the dict literals of the functions that build
each tile's ``figures`` and each section's ``data``. A key added there without a label in
the plugin's ``FIGURE_LABELS`` fails here, by name.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
import uuid
from pathlib import Path

import pytest
from litestar import Litestar

from pitstop.console import i18n
from pitstop.console.figures import Figures
from tests.conftest import Drain
from tests.console.support import completed_order, signed_in
from tests.support.demo import Demo

# plugin → (module, function) building its tile figures or its section data
BUILDERS = {
    "tradein": [("tile", "tile"), ("privacy", "customer_summary")],
    "retention": [("kpis", "kpis"), ("kpis", "_states"), ("privacy", "customer_summary")],
    "referrals": [("kpis", "tile")],
    "membership": [("kpis", "tile")],
    "complaints": [("tile", "tile")],
}


def _keys(module: str, function: str) -> set[str]:
    source = textwrap.dedent(inspect.getsource(getattr(importlib.import_module(module), function)))
    return {
        key.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


@pytest.mark.parametrize("plugin", sorted(BUILDERS))
def test_every_figure_key_has_a_chinese_label(plugin: str) -> None:
    # Given the plugin's console part and the keys its tile and section emit
    console = importlib.import_module(f"pitstop_{plugin}").console_pages()
    emitted = set().union(*(_keys(f"pitstop_{plugin}.{m}", f) for m, f in BUILDERS[plugin]))
    assert emitted, plugin
    # Then each has a Chinese label, unless the console never shows it (an id)
    chinese = console.labels.get("zh_CN", {})
    missing = sorted(k for k in emitted if k not in chinese and console.kinds.get(k) != "id")
    assert not missing, f"{plugin}: no Chinese label for {missing}"


def _titles(plugin: str) -> set[str]:
    """The titles a plugin gives its KPI tile and 360° section: the ``title=`` of every
    ``KpiTile(...)`` or ``Section(...)`` in its modules (a literal or a module constant)."""
    package = importlib.import_module(f"pitstop_{plugin}")
    titles = set()
    for path in Path(inspect.getfile(package)).parent.glob("*.py"):
        module = importlib.import_module(f"pitstop_{plugin}.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in PARTS):
                continue
            for keyword in node.keywords:
                if keyword.arg == "title" and isinstance(keyword.value, ast.Constant):
                    titles.add(keyword.value.value)
                elif keyword.arg == "title" and isinstance(keyword.value, ast.Name):
                    titles.add(getattr(module, keyword.value.id))
    return titles


PARTS = ("KpiTile", "Section")


@pytest.mark.parametrize("plugin", sorted(BUILDERS))
def test_every_tile_and_section_title_has_a_chinese_label(plugin: str) -> None:
    # Given the titles of the plugin's KPI tile and 360° section
    titles = _titles(plugin)
    assert titles, plugin
    # Then each is worded in English (the source) and has its Chinese among the labels
    chinese = importlib.import_module(f"pitstop_{plugin}").console_pages().labels["zh_CN"]
    assert not [t for t in titles if not t.isascii()], f"{plugin}: a title not in English"
    missing = sorted(t for t in titles if t not in chinese)
    assert not missing, f"{plugin}: no Chinese label for the titles {missing}"


def test_a_key_without_a_label_is_spelled_out_and_read_through_the_catalog() -> None:
    # Given the console's Chinese catalog and no label of the plugin's own
    figures = Figures(i18n.translator("zh_CN"), {})
    # When the contact log's keys are worded, Then they read in Chinese
    assert figures({"contacts": [{"channel": "sms"}]}) == {"联系记录": [{"渠道": "sms"}]}


def test_values_are_worded_by_kind_and_ids_never_shown() -> None:
    # Given a plugin's labels and kinds
    labels = {"average": "客单价", "share": "占比", "state": "状态", "at_risk": "流失风险"}
    kinds = {"average": "money", "share": "ratio", "car": "id"}
    figures = Figures(lambda m: labels.get(m, m), kinds)
    car = str(uuid.uuid4())
    # When its raw data is worded
    worded = figures(
        {"average": 123_450, "share": 0.125, "car": "x", "state": "at_risk",
         "next": {"vehicle": car, "unknown_key": None}, "list": [car, 3]}
    )  # fmt: skip
    # Then money reads in yuan, ratios as percentages, codes and keys through the labels,
    # an unlabelled key spelled out, and no id (declared or uuid-shaped) remains
    assert worded == {
        "客单价": "¥1,234.50", "占比": "12.5%", "状态": "流失风险",
        "Next": {"Unknown key": None}, "List": [3],
    }  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_360_retention_section_reads_in_chinese_without_ids(
    app: Litestar, demo: Demo, worker: Drain
) -> None:
    # Given a customer whose completed order made retention project the car's next service
    customer_id, vehicle_id = await completed_order(demo, "SH001", 38_800)
    await worker()
    # When the advisor opens the customer's 360° page
    advisor = await signed_in(app, demo, "service_advisor")
    page = await advisor.get(f"/console/customers/{customer_id}")
    assert page.status_code == 200, page.text
    found = re.search(r'id="section-retention">(.*?)</section>', page.text, re.S)
    assert found, "no retention section"
    section = found.group(1)
    # Then its title and keys are the plugin's Chinese labels and the car's id is nowhere
    assert "<h2>客户保持</h2>" in section and "Retention" not in section
    assert "<dt>状态</dt>" in section and "<dt>下次保养</dt>" in section
    for raw in ("state", "next_due", "vehicle_id", "due_date", "open_tasks", vehicle_id):
        assert raw not in section, raw
    # And a list with nothing in it (no risk reasons yet) reads as a dash, not as a blank
    assert re.search(r"<dt>风险原因</dt><dd>\s*—\s*</dd>", section), section
