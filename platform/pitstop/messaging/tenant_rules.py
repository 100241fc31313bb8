"""A tenant's own messaging rules: its quiet hours and its caps per purpose.

Stored under ``messaging`` in ``tenants.settings`` and changed by HQ through
``PUT /api/v1/message-rules`` (``messages:rules``, audited as ``message_rules.changed``).
What is not set keeps the platform's defaults (21:00-09:00, marketing <= 2 per 7 days,
service <= 1 per day per template). A stored value that no longer validates (written by
an older version) falls back to the defaults rather than stopping every message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access import audit
from pitstop.db.tenant_context import current_tenant_id
from pitstop.errors import NotFound, Unprocessable
from pitstop.messaging import rules
from pitstop.tenancy.models import Tenant
from pitstop.tenancy.plugin_settings import settings_from_stored, validate_settings

KEY = "messaging"
Clock = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class CapRule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    count: Annotated[int, msgspec.Meta(ge=1, le=100)]
    """At most this many messages of the purpose..."""
    days: Annotated[int, msgspec.Meta(ge=1, le=365)]
    """...within this many days (a sliding window)."""
    per_template: bool = False


class MessageRules(msgspec.Struct, forbid_unknown_fields=True):
    quiet_start: Clock = "21:00"
    """Tenant wall-clock time quiet hours begin; equal to ``quiet_end``: no quiet hours."""
    quiet_end: Clock = "09:00"
    marketing_cap: CapRule | None = CapRule(2, 7)
    """None: no cap (consent and quiet hours still apply)."""
    service_cap: CapRule | None = CapRule(1, 1, per_template=True)


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _cap(rule: CapRule | None) -> rules.Cap | None:
    if rule is None:
        return None
    return rules.Cap(rule.count, dt.timedelta(days=rule.days), rule.per_template)


@dataclass(frozen=True)
class Effective:
    """The rules as the queue applies them."""

    quiet_start: dt.time
    quiet_end: dt.time
    caps: dict[str, rules.Cap]


def effective(tenant_settings: dict[str, Any]) -> Effective:
    chosen = settings_from_stored(MessageRules, tenant_settings.get(KEY) or {})
    caps = {"marketing": _cap(chosen.marketing_cap), "service": _cap(chosen.service_cap)}
    return Effective(
        _time(chosen.quiet_start),
        _time(chosen.quiet_end),
        {purpose: cap for purpose, cap in caps.items() if cap is not None},
    )


async def _tenant(session: AsyncSession) -> Tenant:
    tenant = await session.get(Tenant, current_tenant_id())
    if tenant is None:
        raise NotFound("tenant not found")
    return tenant


async def for_tenant(session: AsyncSession) -> Effective:
    return effective(dict((await _tenant(session)).settings or {}))


def _validated(current: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """Merge and validate; a 422 names every bad field as the body spells it."""
    try:
        _, stored = validate_settings(MessageRules, current, incoming)
    except Unprocessable as exc:
        errors = [
            {**e, "field": e["field"].removeprefix("settings").lstrip(".") or "body"}
            for e in exc.errors or []
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Unprocessable(detail, code="invalid_rules", errors=errors) from None
    return stored


class MessageRulesController(Controller):
    path = "/message-rules"
    tags = ["messaging"]

    @get("/", opt={"permission": "messages:read"})
    async def get_rules(self, session: NamedDependency[AsyncSession]) -> MessageRules:
        stored = (await _tenant(session)).settings or {}
        return settings_from_stored(MessageRules, stored.get(KEY) or {})

    @put("/", opt={"permission": "messages:rules"})
    async def put_rules(
        self, data: JSONBody[dict[str, Any]], session: NamedDependency[AsyncSession]
    ) -> MessageRules:
        """Given keys are merged over the current rules; ``null`` for a cap removes it."""
        tenant = await _tenant(session)
        settings = dict(tenant.settings or {})
        current = msgspec.to_builtins(settings_from_stored(MessageRules, settings.get(KEY) or {}))
        stored = _validated(current, data)
        changed = sorted(k for k in stored if stored[k] != current.get(k))
        if changed:
            tenant.settings = {**settings, KEY: stored}
            await audit.record(
                session,
                "message_rules.changed",
                resource="tenant",
                resource_id=tenant.id,
                detail={"changed": changed, "rules": stored},
            )
        return msgspec.convert(stored, MessageRules)
