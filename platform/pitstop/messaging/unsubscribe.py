"""Withdrawal as easy as consent: a "TD" reply or one click on a link.

Two ways in, one rule: the customer's **marketing** consent for the medium they used is
withdrawn (history row, ``customer.consent_changed`` audit entry), exactly as
``PUT /customers/{id}/consents`` with ``granted: false`` would do it. Service messages
(a reminder, a complaint update) are not touched: they are part of the service.

* **Reply keyword** - an inbound text relayed to ``POST /api/v1/messages/inbound``
  (``messages:inbound``: the relay's API key) by a channel's gateway. ``TD``, ``T``, ``N``,
  ``STOP`` or ``退订`` (case, spaces and punctuation ignored) withdraws every customer of
  the tenant with that number; anything else changes nothing. Source ``sms_reply``.
* **Link** - every marketing message carries ``unsubscribe_token`` in its data (the
  channel builds ``<public base>/api/v1/unsubscribe/<token>``). The token names tenant,
  customer and medium and is signed with a key derived from the deployment's secret; it
  does not expire (a withdrawal link must keep working). ``GET`` shows a page with one
  button, ``POST`` withdraws (a link scanner's GET changes nothing). Source
  ``unsubscribe_link``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import re
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access import audit
from pitstop.crm.models import Customer
from pitstop.messaging import consents
from pitstop.tenancy.sealing import Sealer

KEYWORDS = frozenset({"TD", "T", "N", "STOP", "退订"})
LINK_PURPOSE = "pitstop unsubscribe link v1"
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
_MEDIUM = re.compile(r"^[a-z]{2,16}$")


def is_keyword(text: str) -> bool:
    return _NOISE.sub("", text).upper() in KEYWORDS


def link_token(sealer: Sealer, tenant_id: uuid.UUID, customer_id: uuid.UUID, medium: str) -> str:
    payload = tenant_id.bytes + customer_id.bytes + medium.encode()
    digest = sealer.mac(LINK_PURPOSE, payload)[:16]
    return _b64(payload) + "." + _b64(digest)


def read_token(sealer: Sealer, token: str) -> tuple[uuid.UUID, uuid.UUID, str] | None:
    """(tenant, customer, medium) of a token this deployment signed; None for any other."""
    try:
        body, mac = token.split(".", 1)
        payload, digest = _unb64(body), _unb64(mac)
    except ValueError:
        return None
    if len(payload) < 34 or not hmac.compare_digest(sealer.mac(LINK_PURPOSE, payload)[:16], digest):
        return None
    medium = payload[32:].decode(errors="replace")
    if not _MEDIUM.match(medium):
        return None
    return uuid.UUID(bytes=payload[:16]), uuid.UUID(bytes=payload[16:32]), medium


async def withdraw(
    session: AsyncSession,
    customer_id: uuid.UUID,
    medium: str,
    *,
    source: str,
    now: dt.datetime,
    actor_id: uuid.UUID | None = None,
) -> bool:
    """Withdraw marketing on ``medium``; True when it changed (audited then)."""
    answer = consents.ConsentAnswer("marketing", medium, False, source, "")
    changed = await consents.change(session, customer_id, [answer], now=now, actor_id=actor_id)
    if changed:
        change = {"purpose": "marketing", "channel": medium, "granted": False, "source": source}
        await audit.record(
            session,
            "customer.consent_changed",
            resource="customer",
            resource_id=customer_id,
            detail={"changes": [change]},
            at=now,
        )
    return bool(changed)


async def customers_with_phone(session: AsyncSession, e164: str) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Customer.id).where(Customer.phone == e164, Customer.erased_at.is_(None))
    )
    return list(rows.all())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc
