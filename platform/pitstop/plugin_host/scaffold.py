"""``pitstop plugin new NAME --dir DIR``: a partner's plugin distribution, ready to install.

The skeleton is what a partner would otherwise copy from the guide by hand: a pyproject
that registers the entry point, a package that imports only ``pitstop.sdk`` with one of
each moving part (a route, a tenant-owned table with its migration, a subscription, a
settings schema), and a test. It installs with pip and loads as it is, so a partner
starts from something that works and changes it, rather than from a blank page.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
RESERVED = frozenset({"auth", "staff", "roles", "api_keys", "audit", "stores", "platform"})


class ScaffoldError(ValueError):
    pass


def check_name(name: str) -> None:
    if not NAME_RE.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r}: use 2–31 lower-case letters, digits or _, letter first")
    if name in RESERVED or name.startswith("pitstop"):
        raise ScaffoldError(f"{name!r} is reserved by the core")


def scaffold(name: str, directory: Path) -> list[Path]:
    """Write the distribution into ``directory`` (created; must be empty if it exists)."""
    check_name(name)
    if directory.exists() and any(directory.iterdir()):
        raise ScaffoldError(f"{directory} is not empty")
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"{name}/__init__.py": PACKAGE,
        f"{name}/models.py": MODELS,
        f"{name}/migrations/{name}_0001_notes.py": MIGRATION,
        f"tests/test_{name}.py": TEST,
    }
    written = []
    for relative, template in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.replace("NAME", name), encoding="utf-8")
        written.append(path)
    return written


PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "pitstop-plugin-NAME"
version = "0.1.0"
description = "The NAME plugin for Pitstop."
requires-python = ">=3.11"
dependencies = ["pitstop"]

[project.optional-dependencies]
test = ["pytest>=8.3", "pytest-asyncio>=0.24"]

[project.entry-points.pitstop]
NAME = "NAME"

[tool.hatch.build.targets.wheel]
packages = ["NAME"]

[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""

README = """\
# NAME — a Pitstop plugin

Install it next to Pitstop (`pip install -e .`), run `pitstop migrate`, restart Pitstop
(plugins load when it starts), then turn it on for a tenant:
`PUT /api/v1/plugins/NAME {"enabled": true}`. Its route answers at
`GET /api/v1/NAME/notes` for roles holding `NAME:read`; it records a note for every
`service_order.completed` event. Every route must declare a permission (or
`opt={"authenticated": True}`) or Pitstop refuses to start. See Pitstop's
`docs/plugins.md` for every hook.

Its tests run against a real Pitstop app built by `pitstop.testing`
(`pip install -e '.[test]'`, then `pytest`); see Pitstop's `docs/testing-plugins.md`.
"""

PACKAGE = '''\
"""The NAME plugin: notes about completed service orders (a starting point)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy import select

from pitstop.sdk import Event, PluginContext, PluginInfo, hookimpl, permission

from NAME.models import Note


class Settings(msgspec.Struct, forbid_unknown_fields=True):
    prefix: str = "order"


class NotesController(Controller):
    path = "/notes"

    # Every route says who may call it: a permission (declared in plugin_info below) or
    # opt={"authenticated": True}. A route that declares neither stops Pitstop at start-up.
    @get("/", opt={"permission": "NAME:read"})
    async def list_notes(self, ctx: NamedDependency[PluginContext]) -> dict[str, Any]:
        notes = (await ctx.session.scalars(select(Note).order_by(Note.id))).all()
        items = [
            {"id": str(n.id), "customer_id": str(n.customer_id), "text": n.text} for n in notes
        ]
        return {"items": items, "next": None}


async def on_order_completed(ctx: PluginContext, event: Event) -> None:
    customer_id = uuid.UUID(event.payload["customer_id"])
    text = f"{ctx.settings.prefix} total {event.payload['total']}"
    ctx.session.add(Note(event_id=event.id, customer_id=customer_id, text=text))


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        name="NAME",
        version="0.1.0",
        title="NAME",
        sdk=">=1.0,<2",
        settings=Settings,
        permissions=(permission("NAME:read", "Read NAME notes", {"hq_admin", "store_manager"}),),
    )


@hookimpl
def routes() -> Sequence[Any]:
    return [NotesController]


@hookimpl
def migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def subscriptions() -> Mapping[str, Any]:
    return {"service_order.completed": on_order_completed}
'''

MODELS = '''\
"""The plugin's table: tenant-owned, keyed (tenant_id, id) like every tenant table."""

from __future__ import annotations

import uuid

from sqlalchemy import String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pitstop.sdk import TenantModel, tenant_fk


class Note(TenantModel):
    __tablename__ = "NAME_notes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        tenant_fk(["customer_id"], "customers"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    text: Mapped[str] = mapped_column(String(200))
'''

MIGRATION = '''\
"""NAME: notes

Revision ID: NAME_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pitstop.sdk import enable_rls

revision = "NAME_0001"
down_revision = None
branch_labels = ("NAME",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "NAME_notes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_NAME_notes_tenant_id_tenants",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.id"],
            name="fk_NAME_notes_tenant_id_customer_id_customers",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_NAME_notes"),
        sa.UniqueConstraint("tenant_id", "event_id", name="uq_NAME_notes_tenant_id_event_id"),
    )
    enable_rls(op.get_bind(), ("NAME_notes",))


def downgrade() -> None:
    op.drop_table("NAME_notes")
'''

TEST = '''\
"""The NAME plugin against a real Pitstop app, built per test by ``pitstop.testing``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import NAME
from pitstop.testing import PluginApp, plugin_app


@pytest.fixture
async def app() -> AsyncIterator[PluginApp]:
    async with plugin_app(NAME, settings={"prefix": "order"}) as app:
        yield app


async def test_a_completed_order_leaves_a_note_for_its_customer(app: PluginApp) -> None:
    # Given a completed service order (one line of ¥120.00, in fen)
    order = await app.completed_order()
    # When the worker's queue is drained, so that the subscription runs
    await app.drain()
    # Then the HQ admin reads one note, about that order's customer
    response = await app.client("hq_admin").get("/api/v1/NAME/notes")
    assert response.status_code == 200, response.text
    notes = [(n["customer_id"], n["text"]) for n in response.json()["items"]]
    assert notes == [(order["customer_id"], "order total 12000")]


async def test_a_technician_may_not_read_notes(app: PluginApp) -> None:
    # Given a technician (NAME:read is granted to hq_admin and store_manager)
    technician = app.client("technician")
    # Then the route refuses them
    response = await technician.get("/api/v1/NAME/notes")
    assert response.status_code == 403, response.text
'''
