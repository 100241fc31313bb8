"""Linking a customer to their WeCom external contact, and the customer's data rights.

``PUT /api/v1/wecom/contacts/{customer_id}`` with ``{"external_userid": "wm..."}`` links
(or re-links) a customer; ``DELETE`` unlinks. Staff read the ``external_userid`` from the
WeCom admin console or a customer-contact callback relayed by the tenant's integration (an
API key holding ``wecom:contacts``). Both are audited without the id itself: the audit log
says who linked which customer, never to whom in WeCom. Another tenant's customer is a 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from pitstop.sdk import NotFound, PluginContext, get_customer

from .models import WecomContact

ExternalUserid = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]


class ContactIn(msgspec.Struct, forbid_unknown_fields=True):
    external_userid: ExternalUserid


class ContactOut(msgspec.Struct):
    customer_id: uuid.UUID
    linked: bool
    linked_at: str | None
    """The id itself is not returned: whoever needs it has it in WeCom."""


async def _contact(ctx: PluginContext, customer_id: uuid.UUID) -> WecomContact | None:
    statement = select(WecomContact).where(WecomContact.customer_id == customer_id)
    return (await ctx.session.scalars(statement)).first()


async def _customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    found = await get_customer(ctx, customer_id)
    if found is None or found.erased or found.internal:
        raise NotFound("customer not found")


async def link_contact(ctx: PluginContext, customer_id: uuid.UUID, external: str) -> WecomContact:
    """Link (or re-link) the customer; ``linked_at`` moves only when the id changes."""
    contact = await _contact(ctx, customer_id)
    if contact is None:
        contact = WecomContact(customer_id=customer_id, external_userid=external,
                               linked_at=ctx.now())  # fmt: skip
        ctx.session.add(contact)
    elif contact.external_userid != external:
        contact.external_userid, contact.linked_at = external, ctx.now()
    return contact


async def unlink_external(ctx: PluginContext, external: str) -> uuid.UUID | None:
    """Remove the link to this external contact; the customer it was, if any."""
    statement = select(WecomContact).where(WecomContact.external_userid == external)
    contact = (await ctx.session.scalars(statement)).first()
    if contact is None:
        return None
    await ctx.session.delete(contact)
    return contact.customer_id


class ContactsController(Controller):
    path = "/contacts/{customer_id:uuid}"
    tags = ["wecom"]

    @put("/", opt={"permission": "wecom:contacts"})
    async def link(
        self, ctx: NamedDependency[PluginContext], customer_id: FromPath[uuid.UUID],
        data: JSONBody[ContactIn],
    ) -> ContactOut:  # fmt: skip
        await _customer(ctx, customer_id)
        before = await _contact(ctx, customer_id)
        changed = before is None or before.external_userid != data.external_userid
        contact = await link_contact(ctx, customer_id, data.external_userid)
        await ctx.audit("wecom.contact_linked", resource="customer", resource_id=customer_id,
                        detail={"changed": changed})  # fmt: skip
        return ContactOut(customer_id, True, contact.linked_at.isoformat())

    @delete("/", opt={"permission": "wecom:contacts"})
    async def unlink(
        self, ctx: NamedDependency[PluginContext], customer_id: FromPath[uuid.UUID]
    ) -> None:
        await _customer(ctx, customer_id)
        contact = await _contact(ctx, customer_id)
        if contact is not None:
            await ctx.session.delete(contact)
        await ctx.audit("wecom.contact_unlinked", resource="customer", resource_id=customer_id,
                        detail={"removed": contact is not None})  # fmt: skip


async def export_customer(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any] | None:
    """The customer's own link, raw: it is their data (the export route is audited)."""
    contact = await _contact(ctx, customer_id)
    if contact is None:
        return None
    return {"external_userid": contact.external_userid, "linked_at": contact.linked_at.isoformat()}


async def erase_customer(ctx: PluginContext, customer_id: uuid.UUID) -> None:
    """An erased customer is no longer anyone's WeCom contact here."""
    contact = await _contact(ctx, customer_id)
    if contact is not None:
        await ctx.session.delete(contact)
