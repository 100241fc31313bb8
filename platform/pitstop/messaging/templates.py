"""Templates: ``{field}`` placeholders, validated at save time, rendered at send time.

A template declares its fields; a body that names a field it did not declare is refused
when saved (422 naming ``body``), never discovered by a customer receiving ``{name}``.
Marketing bodies may not name a personal field (a phone, an id number): a promotion has no
business carrying them, and a leaked promotion then leaks nothing.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.errors import NotFound, Unprocessable
from pitstop.messaging.models import MessageTemplate

DEFAULT_LOCALE = "zh-CN"
PERSONAL_FIELDS = frozenset(
    {"phone", "id_number", "email", "address", "birthday", "plate", "vin", "token"}
)
"""Field names a marketing template may not declare."""


@dataclass(frozen=True)
class Template:
    name: str
    purpose: str
    fields: tuple[str, ...]
    body: str
    channel: str = "*"
    locale: str = DEFAULT_LOCALE
    shipped: bool = False


DEFAULTS: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "service_due",
            "service",
            ("customer_name", "store_name", "due_date"),
            "{customer_name}您好，您的爱车保养时间快到了（{due_date}），欢迎到{store_name}预约。",
            shipped=True,
        ),
        Template(
            "points_expiring",
            "service",
            ("points", "expires_on"),
            "您有{points}积分将于{expires_on}到期，请尽快使用。",
            shipped=True,
        ),
        Template(
            "voucher_expiring",
            "service",
            ("title", "valid_until"),
            "您的「{title}」将于{valid_until}到期，请尽快到店使用。",
            shipped=True,
        ),
        Template(
            "follow_up_survey",
            "service",
            ("customer_name", "store_name", "link"),
            "{customer_name}您好，感谢您光临{store_name}，请为本次服务打分（1-5分）：{link} "
            "您的意见对我们很重要。",
            shipped=True,
        ),
        Template(
            "follow_up_care",
            "service",
            ("customer_name", "store_name"),
            "{customer_name}您好，您的爱车在{store_name}保养已满一个月，用车如有任何问题欢迎随时联系我们。",
            shipped=True,
        ),
        Template(
            "complaint_acknowledged",
            "service",
            ("customer_name",),
            "{customer_name}您好，您的反馈我们已受理，会尽快处理并与您联系。",
            shipped=True,
        ),
        Template(
            "complaint_resolved",
            "service",
            ("customer_name",),
            "{customer_name}您好，您反馈的问题已处理完毕，如仍有不满意之处，欢迎随时联系我们。",
            shipped=True,
        ),
        Template(
            "staff_invite",
            "transactional",
            ("tenant_name", "token"),
            "您已受邀加入{tenant_name}，邀请码：{token}",
            shipped=True,
        ),
    )
}


def placeholders(body: str) -> list[str]:
    """The names a body refers to; a malformed brace is an error, not a literal."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(body) if name is not None]
    except ValueError as exc:
        raise Unprocessable.field("body", str(exc)) from exc


def check(purpose: str, fields: list[str], body: str) -> None:
    """Refuse a template that could not render or that would carry personal data."""
    bad = [f for f in fields if not f.isidentifier()]
    if bad:
        raise Unprocessable.field("fields", f"not a field name: {bad}")
    undeclared = sorted(set(placeholders(body)) - set(fields))
    if undeclared:
        raise Unprocessable.field("body", f"names undeclared fields {undeclared}")
    if purpose == "marketing":
        personal = sorted(set(fields) & PERSONAL_FIELDS)
        if personal:
            raise Unprocessable.field("fields", f"a marketing template may not carry {personal}")


def render(template: Template, data: dict[str, Any]) -> str:
    """Missing values render empty rather than fail a send at 09:00 for a typo'd key."""
    values = {name: data.get(name, "") for name in template.fields}
    return template.body.format_map(values)


def from_row(row: MessageTemplate) -> Template:
    return Template(row.name, row.purpose, tuple(row.fields), row.body, row.channel, row.locale)


async def find(
    session: AsyncSession, name: str, channel: str = "*", locale: str = DEFAULT_LOCALE
) -> Template:
    """The tenant's wording for this channel, else for every channel, else the shipped one."""
    rows = (
        await session.scalars(
            select(MessageTemplate).where(
                MessageTemplate.name == name,
                MessageTemplate.locale == locale,
                MessageTemplate.channel.in_([channel, "*"]),
            )
        )
    ).all()
    for wanted in (channel, "*"):
        for row in rows:
            if row.channel == wanted:
                return from_row(row)
    if name in DEFAULTS:
        return DEFAULTS[name]
    raise NotFound(f"template {name!r} not found")


async def save(
    session: AsyncSession,
    name: str,
    *,
    channel: str,
    locale: str,
    purpose: str,
    fields: list[str],
    body: str,
) -> MessageTemplate:
    check(purpose, fields, body)
    row = (
        await session.scalars(
            select(MessageTemplate).where(
                MessageTemplate.name == name,
                MessageTemplate.channel == channel,
                MessageTemplate.locale == locale,
            )
        )
    ).one_or_none()
    if row is None:
        row = MessageTemplate(name=name, channel=channel, locale=locale)
        session.add(row)
    row.purpose, row.fields, row.body = purpose, list(fields), body
    await session.flush()
    return row


async def listed(session: AsyncSession) -> list[Template]:
    """The tenant's own templates, then the shipped defaults it has not reworded."""
    own = [from_row(r) for r in (await session.scalars(select(MessageTemplate))).all()]
    named = {t.name for t in own}
    return sorted(own, key=lambda t: (t.name, t.channel)) + [
        t for t in DEFAULTS.values() if t.name not in named
    ]
