"""The review queue at the console (``/console/referrals/review``): the referrals a fraud
signal (or ``auto_approve`` off) holds, oldest first, each approved or rejected with a
reason.

A decision is ``POST /api/v1/referrals/{id}/approve|reject``'s twin: the same permission
(``referrals:review``), the same store scope (``lifecycle.visible``: another store's or
tenant's referral is the 404 page), the same ``lifecycle.decide`` with its audit entry
(``referrals.approved`` / ``referrals.rejected``, with the reason and the signals). A blank
reason is named beside its box; a referral someone else decided meanwhile is the 422 page.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from pitstop.sdk import ConsolePage, PluginContext, Unprocessable

from . import lifecycle
from .models import Referral
from .schemas import Decision, referral_out

SHOWN = 100
REVIEW = {"permission": "referrals:review"}


async def queue(ctx: PluginContext) -> list[dict[str, Any]]:
    """The held referrals of the reader's stores, the longest waiting first."""
    statement = lifecycle.scoped(ctx, select(Referral).where(Referral.status == "review"))
    rows = (
        await ctx.session.scalars(statement.order_by(Referral.linked_at, Referral.id).limit(SHOWN))
    ).all()
    return [msgspec.to_builtins(referral_out(r), builtin_types=(uuid.UUID,)) for r in rows]


class ReviewPages(Controller):
    path = "/review"

    @get("/", opt=REVIEW)
    async def review_queue(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage]
    ) -> Any:
        return page("review.html", referrals=await queue(ctx), errors={}, failed=None)

    @post("/{referral_id:uuid}/{verdict:str}", opt=REVIEW)
    async def decide(
        self,
        ctx: NamedDependency[PluginContext],
        page: NamedDependency[ConsolePage],
        referral_id: FromPath[uuid.UUID],
        verdict: FromPath[str],
        request: Request[Any, Any, Any],
    ) -> Any:
        """``approve`` or ``reject`` with the reason typed beside the buttons."""
        if verdict not in ("approve", "reject"):
            raise Unprocessable.field("verdict", "approve or reject")
        referral = await lifecycle.visible(ctx, referral_id, lock=True)
        form = await request.form()
        reason = str(form.get("reason", "")).strip()
        try:
            data = msgspec.convert({"reason": reason} if reason else {}, Decision)
            await lifecycle.decide(ctx, referral, verdict == "approve", data.reason)
        except (msgspec.ValidationError, Unprocessable) as exc:
            message = "is required" if not reason else str(getattr(exc, "detail", exc))
            return page("review.html", status=422, referrals=await queue(ctx),
                        errors={"reason": message}, failed=str(referral_id))  # fmt: skip
        return Redirect("/console/referrals/review/", status_code=303)
