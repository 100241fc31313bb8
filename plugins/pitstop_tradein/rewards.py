"""The purchase reward: ``reward.requested`` for the seller when the shop buys their car,
per the ``purchase_reward`` setting, and the fulfiller's answer kept on the lead.

The plugin never calls membership (docs/plugins.md, "The reward contract"). The
``reward_id`` is derived from the lead (uuid5), so however often a purchase is retried the
fulfiller sees one id and gives once; the purchase itself happens once, under the stage
machine (``accepted → purchased`` is legal once). Without a fulfiller the lead says
``pending_fulfilment`` — never shown as given; the night that falls one to two days
after the request asks once more with the same id (a lost answer, or membership switched
on the next day), and never again after that.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from sqlalchemy import select

from pitstop.sdk import (
    Event,
    PluginContext,
    RewardGranted,
    RewardRejected,
    RewardRequested,
    RewardSource,
)

from .models import Lead
from .settings import TradeinSettings

NAMESPACE = uuid.UUID("0f6d3c52-9b1e-4c1a-8f57-3e2b7a9d4c60")
REASON = "旧车置换奖励"
ASK_AGAIN = (dt.timedelta(days=2), dt.timedelta(days=1))
"""(newest, oldest) age of an unanswered request the nightly run asks again."""


def reward_id(tenant_id: uuid.UUID, lead_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{tenant_id}:{lead_id}:purchase")


async def request(ctx: PluginContext[TradeinSettings], lead: Lead) -> None:
    """Ask for the seller's reward, if the settings give one for this purchase."""
    reward = ctx.settings.purchase_reward
    if reward.kind == "none" or (reward.only_with_replacement and not lead.replacement_from_us):
        return
    lead.reward_id = reward_id(ctx.tenant_id, lead.id)
    lead.reward_status, lead.reward_reason = "pending_fulfilment", None
    lead.reward_requested_at = ctx.now()
    points = reward.kind == "points"
    lead.reward_request = {
        "kind": reward.kind,
        "points": reward.points if points else 0,
        "voucher_template": None if points else reward.voucher_template,
    }
    await _ask(ctx, lead)


async def _ask(ctx: PluginContext, lead: Lead) -> None:
    asked = lead.reward_request
    assert lead.reward_id is not None and asked is not None
    await ctx.emit(
        "reward.requested",
        RewardRequested(
            reward_id=lead.reward_id,
            customer_id=lead.customer_id,
            kind="points" if asked["kind"] == "points" else "voucher",
            points=int(asked["points"]),
            voucher_template=asked["voucher_template"],
            reason=REASON,
            source=RewardSource(plugin="tradein", type="purchase", id=str(lead.id)),
        ),
    )


async def ask_again(ctx: PluginContext) -> int:
    """Re-emit, same ``reward_id``, the purchase rewards unanswered for a day (once)."""
    now = ctx.now()
    statement = select(Lead).where(
        Lead.reward_status == "pending_fulfilment",
        Lead.reward_requested_at > now - ASK_AGAIN[0],
        Lead.reward_requested_at <= now - ASK_AGAIN[1],
    )
    leads = list((await ctx.session.scalars(statement.order_by(Lead.id))).all())
    for lead in leads:
        await _ask(ctx, lead)
    return len(leads)


async def on_answer(ctx: PluginContext, event: Event) -> None:
    """``reward.granted`` / ``reward.rejected`` for one of our leads: the first one kept."""
    rid = uuid.UUID(str(event.payload["reward_id"]))
    statement = select(Lead).where(Lead.reward_id == rid)
    if ctx.session.dialect == "postgresql":
        statement = statement.with_for_update()
    lead = (await ctx.session.scalars(statement)).one_or_none()
    if lead is None or lead.reward_status != "pending_fulfilment":
        return  # another requester's reward, or answered already
    if event.type == "reward.granted":
        msgspec.convert(event.payload, RewardGranted, strict=False)
        lead.reward_status = "granted"
    else:
        rejected = msgspec.convert(event.payload, RewardRejected, strict=False)
        lead.reward_status, lead.reward_reason = "rejected", rejected.reason[:40]
    await ctx.session.flush()
