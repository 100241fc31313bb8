"""HTTP API of withdrawal: an inbound reply relayed by a gateway, and the public link.

``POST /api/v1/messages/inbound`` answers whether the text was an unsubscribe keyword and
how many customer records it withdrew - never whose. ``/api/v1/unsubscribe/{token}`` is
public (the customer has no account): a GET shows one button, the POST withdraws. See
:mod:`pitstop.messaging.unsubscribe` for the rule.
"""

from __future__ import annotations

import html
from typing import Annotated, Literal

import msgspec
from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.audit import acting_as
from pitstop.access.principal import Principal
from pitstop.crm.models import Customer
from pitstop.crm.validators import normalize_phone
from pitstop.db.base import Clock
from pitstop.db.engine import SessionFactory
from pitstop.db.tenant_context import tenant_scope
from pitstop.errors import NotFound
from pitstop.messaging import unsubscribe
from pitstop.settings import Settings
from pitstop.tenancy.models import Tenant, TenantStatus
from pitstop.tenancy.sealing import Sealer


class InboundIn(msgspec.Struct, forbid_unknown_fields=True):
    channel: Literal["sms", "wecom"]
    """The medium the reply came by: the consent withdrawn is this one."""
    sender: Annotated[str, msgspec.Meta(min_length=3, max_length=32)] = msgspec.field(name="from")
    text: Annotated[str, msgspec.Meta(max_length=500)]


class InboundOut(msgspec.Struct):
    keyword: bool
    unsubscribed: int
    """Customer records whose marketing consent on the medium this reply withdrew."""


class InboundController(Controller):
    path = "/messages/inbound"
    tags = ["messaging"]

    @post("/", status_code=200, opt={"permission": "messages:inbound"})
    async def inbound(
        self,
        data: JSONBody[InboundIn],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> InboundOut:
        """A customer's reply; ``TD``/``退订`` withdraws their marketing consent."""
        phone = normalize_phone(data.sender, field="from")
        if not unsubscribe.is_keyword(data.text):
            return InboundOut(keyword=False, unsubscribed=0)
        count = 0
        for customer_id in await unsubscribe.customers_with_phone(session, phone):
            count += await unsubscribe.withdraw(
                session,
                customer_id,
                data.channel,
                source="sms_reply",
                now=clock(),
                actor_id=principal.actor_id,
            )
        return InboundOut(keyword=True, unsubscribed=count)


_PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>{title}</title>
<body><h1>{title}</h1><p>{text}</p>{form}</body></html>"""


def _page(title: str, text: str, form: str = "") -> Response[str]:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text), form=form)
    return Response(content=body, media_type=MediaType.HTML)


class UnsubscribeController(Controller):
    path = "/unsubscribe/{token:str}"
    tags = ["messaging"]

    @get("/", opt={"public": True})
    async def confirm(
        self, token: FromPath[str], settings: NamedDependency[Settings]
    ) -> Response[str]:
        """The button; nothing changes on a GET (mail and link scanners fetch links)."""
        if unsubscribe.read_token(Sealer(settings.secret_key), token) is None:
            raise NotFound("this link is not valid", code="invalid_link")
        form = '<form method="post"><button type="submit">退订 Unsubscribe</button></form>'
        return _page("退订营销信息", "点击下方按钮，不再接收营销信息（服务提醒不受影响）。", form)

    @post("/", status_code=200, opt={"public": True})
    async def withdraw(
        self,
        token: FromPath[str],
        settings: NamedDependency[Settings],
        sessions: NamedDependency[SessionFactory],
        clock: NamedDependency[Clock],
    ) -> Response[str]:
        """Withdraw; a second click changes nothing and says the same."""
        found = unsubscribe.read_token(Sealer(settings.secret_key), token)
        if found is None:
            raise NotFound("this link is not valid", code="invalid_link")
        tenant_id, customer_id, medium = found
        async with sessions() as session, session.begin():
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None or tenant.status is not TenantStatus.active:
                raise NotFound("this link is not valid", code="invalid_link")
            with tenant_scope(tenant_id), acting_as("customer", customer_id):
                if await session.get(Customer, (tenant_id, customer_id)) is None:
                    raise NotFound("this link is not valid", code="invalid_link")
                await unsubscribe.withdraw(
                    session, customer_id, medium, source="unsubscribe_link", now=clock()
                )
        return _page("已退订", "您将不再收到营销信息。")
