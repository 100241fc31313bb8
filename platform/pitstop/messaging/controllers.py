"""HTTP API of messaging: consents, templates and their preview, the contact log.

One transaction per request; a consent change and its audit entry commit together. The
contact log answers a store-scoped role with its stores' messages only.
"""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access import audit
from pitstop.access.masking import free_text
from pitstop.access.principal import Principal
from pitstop.crm.models import Customer
from pitstop.db.base import Clock
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import NotFound, Unprocessable
from pitstop.messaging import consents, service, templates
from pitstop.messaging.models import ConsentChange, CustomerConsent, Message
from pitstop.messaging.schemas import (
    ConsentOut,
    ConsentsIn,
    ConsentsOut,
    ManualIn,
    MessageOut,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateName,
    TemplateOut,
    sample_data,
)
from pitstop.pagination import Limit, Page, keyset, page_of


async def _customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    customer = await session.get(Customer, (current_tenant_id(), customer_id))
    if customer is None:
        raise NotFound("customer not found")
    return customer


def _consent_out(row: CustomerConsent | ConsentChange) -> ConsentOut:
    return ConsentOut(
        row.purpose, row.channel, row.granted, row.source, row.notice_version, row.changed_at
    )


async def _consents_out(session: AsyncSession, customer_id: uuid.UUID) -> ConsentsOut:
    current = await consents.current(session, customer_id)
    history = await consents.history(session, customer_id)
    return ConsentsOut(
        customer_id, [_consent_out(r) for r in current], [_consent_out(r) for r in history]
    )


class ConsentsController(Controller):
    path = "/customers/{customer_id:uuid}/consents"
    tags = ["messaging"]

    @get("/", opt={"permission": "customers:read"})
    async def get_consents(
        self, customer_id: FromPath[uuid.UUID], session: NamedDependency[AsyncSession]
    ) -> ConsentsOut:
        """The current answer per purpose and medium, and every change before it."""
        await _customer(session, customer_id)
        return await _consents_out(session, customer_id)

    @put("/", opt={"permission": "customers:write"})
    async def put_consents(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[ConsentsIn],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> ConsentsOut:
        """Grant or withdraw; audited as ``customer.consent_changed`` when anything changed."""
        await _customer(session, customer_id)
        answers = [
            consents.ConsentAnswer(c.purpose, c.channel, c.granted, c.source, c.notice_version)
            for c in data.consents
        ]
        now = clock()
        changed = await consents.change(
            session, customer_id, answers, now=now, actor_id=principal.actor_id
        )
        if changed:
            detail = {
                "changes": [
                    {
                        "purpose": a.purpose,
                        "channel": a.channel,
                        "granted": a.granted,
                        "source": a.source,
                        "notice_version": a.notice_version,
                    }
                    for a in changed
                ]
            }
            await audit.record(
                session,
                "customer.consent_changed",
                resource="customer",
                resource_id=customer_id,
                detail=detail,
                at=now,
            )
        return await _consents_out(session, customer_id)


def _template_out(t: templates.Template) -> TemplateOut:
    return TemplateOut(t.name, t.purpose, list(t.fields), t.body, t.channel, t.locale, t.shipped)


class TemplatesController(Controller):
    path = "/message-templates"
    tags = ["messaging"]

    @get("/", opt={"permission": "messages:read"})
    async def list_templates(self, session: NamedDependency[AsyncSession]) -> list[TemplateOut]:
        """The tenant's own wordings, then the shipped defaults it has not reworded."""
        return [_template_out(t) for t in await templates.listed(session)]

    @put("/{name:str}", opt={"permission": "messages:templates"})
    async def put_template(
        self,
        name: FromPath[TemplateName],
        data: JSONBody[TemplateIn],
        session: NamedDependency[AsyncSession],
    ) -> TemplateOut:
        """Save a wording; a body naming an undeclared field is refused (422 ``body``)."""
        row = await templates.save(
            session,
            name,
            channel=data.channel,
            locale=data.locale,
            purpose=data.purpose,
            fields=list(data.fields),
            body=data.body,
        )
        await audit.record(
            session,
            "message_template.changed",
            resource="message_template",
            resource_id=row.id,
            detail={"name": name, "channel": data.channel},
        )
        return _template_out(templates.from_row(row))

    @post("/{name:str}/preview", status_code=200, opt={"permission": "messages:read"})
    async def preview(
        self,
        name: FromPath[TemplateName],
        data: JSONBody[PreviewIn],
        session: NamedDependency[AsyncSession],
    ) -> PreviewOut:
        """Render with sample data (given values, else ``[field]``); nothing is sent."""
        template = await templates.find(session, name, data.channel)
        return PreviewOut(name, templates.render(template, sample_data(template.fields, data.data)))


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        m.id,
        m.customer_id,
        m.staff_id,
        m.store_id,
        m.purpose,
        m.channel,
        m.template,
        m.shown_status,
        m.manual,
        m.outcome,
        free_text(m.note),
        m.receipt_id,
        m.attempts,
        m.created_at,
        m.send_after,
        m.sent_at,
    )


class MessagesController(Controller):
    path = "/messages"
    tags = ["messaging"]

    @get("/", opt={"permission": "messages:read"})
    async def list_messages(
        self,
        session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        customer_id: FromQuery[uuid.UUID | None] = None,
        staff_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[str | None] = None,
        purpose: FromQuery[str | None] = None,
        limit: Limit = 50,
        after: FromQuery[str | None] = None,
    ) -> Page[MessageOut]:
        """The contact log, oldest first; ``status`` takes ``suppressed:<reason>`` too."""
        statement = select(Message)
        if customer_id is not None:
            statement = statement.where(Message.customer_id == customer_id)
        if staff_id is not None:
            statement = statement.where(Message.staff_id == staff_id)
        if purpose is not None:
            statement = statement.where(Message.purpose == purpose)
        if status is not None:
            kind, _, reason = status.partition(":")
            statement = statement.where(Message.status == kind)
            if reason:
                statement = statement.where(Message.reason == reason)
        if principal.store_ids is not None:
            statement = statement.where(Message.store_id.in_(sorted(principal.store_ids)))
        rows = (await session.scalars(keyset(statement, Message.id, after, limit))).all()
        return page_of(rows, limit, [message_out(m) for m in rows], lambda m: m.id)

    @post(
        "/manual",
        status_code=201,
        opt={"permission": "messages:write", "problems": (404,)},  # the customer or store named
    )
    async def log_manual(
        self,
        data: JSONBody[ManualIn],
        session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        principal: NamedDependency[Principal],
    ) -> MessageOut:
        """A contact staff made themselves (a call, a visit): logged, nothing sent."""
        if data.store_id is not None and not principal.sees_store(data.store_id):
            raise NotFound("store not found")
        if data.store_id is None and principal.store_ids is not None:
            raise Unprocessable.field("store_id", "required for a store-scoped role")
        message = await service.log_manual(
            session,
            customer_id=data.customer_id,
            channel=data.channel,
            outcome=data.outcome,
            note=data.note,
            staff_id=principal.actor_id,
            store_id=data.store_id,
            now=clock(),
        )
        return message_out(message)
