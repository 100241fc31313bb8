"""Moving a lead on the console's board (``/console/tradein/leads/{id}/...``): the moves
that need no appraisal or offer figures — the customer's answer to the open offer, lost
with a reason, reconditioned, sold with a price and channel.

Each is the twin of an API route and calls the same function (``offers.answer``,
``leads.lose``, ``leads.move``, ``leads.sold``) with the API's request shape, so the stage
checks, the history, the audit entry (``tradein.*``) and the events are the API's; the
permissions are the API route's (``tradein:offer`` for the answer and the sale,
``tradein:appraise`` for lost and reconditioned); another store's or tenant's lead is the
404 page. A refused move is the board again with the reason on the lead's card.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from pitstop.sdk import ApiError, ConsolePage, PluginContext, Unprocessable

from . import leads, offers
from .models import Lead, Offer
from .schemas import Lost, Sold
from .stages import check_move

APPRAISE, OFFER = {"permission": "tradein:appraise"}, {"permission": "tradein:offer"}
Step = Callable[[PluginContext, Lead, Any], Awaitable[None]]


def _text(form: Any, name: str) -> str:
    return str(form.get(name, "")).strip()


def yuan(text: str, field: str = "price") -> int:
    """ "98000" or "98,000.50" yuan as fen; the console takes yuan, the service fen."""
    try:
        value = Decimal(text.replace(",", "").lstrip("¥"))
    except InvalidOperation:
        raise Unprocessable.field(field, "must be an amount such as 120 or 120.50") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise Unprocessable.field(field, "must be an amount such as 120 or 120.50")
    return int(value * 100)


def decoded(values: dict[str, Any], shape: type) -> Any:
    try:
        return msgspec.convert({k: v for k, v in values.items() if v != ""}, shape)
    except msgspec.ValidationError as exc:
        field = next((k for k in values if f"`{k}`" in str(exc)), "form")
        raise Unprocessable.field(field, "is required" if values.get(field) == "" else
                                  "is not in the expected form") from None  # fmt: skip


async def _answer(ctx: PluginContext, lead: Lead, answer: str) -> None:
    """The customer's answer to the lead's newest offer (the API names it by id)."""
    offer = await ctx.session.scalar(
        select(Offer).where(Offer.lead_id == lead.id).order_by(Offer.created_at.desc()).limit(1)
    )
    if offer is None or answer not in ("accepted", "declined"):
        raise Unprocessable.field("answer", "no open offer to answer")
    check_move(lead.stage, answer)  # as the API: the stage's moves before the offer
    await offers.answer(ctx, lead, offer, accepted=answer == "accepted")


async def _lost(ctx: PluginContext, lead: Lead, form: Any) -> None:
    await leads.lose(ctx, lead, decoded({"reason": _text(form, "reason")}, Lost).reason)


async def _reconditioned(ctx: PluginContext, lead: Lead, form: Any) -> None:
    await leads.move(ctx, lead, "reconditioned", verb="reconditioned")


async def _sold(ctx: PluginContext, lead: Lead, form: Any) -> None:
    price = _text(form, "price")
    values = {"price": yuan(price) if price else "", "channel": _text(form, "channel")}
    data = decoded(values, Sold)
    await leads.sold(ctx, lead, data.price, data.channel)


async def _move(
    ctx: PluginContext, page: ConsolePage, request: Request[Any, Any, Any], lead_id: uuid.UUID,
    step: Step,
) -> Any:  # fmt: skip
    """The lead (404 unless the reader sees it), the step in a savepoint, back to the board;
    a refusal leaves nothing and is shown on the lead's card."""
    from .console import board

    lead = await leads.visible(ctx, lead_id, lock=True)
    form = await request.form()
    try:
        async with ctx.session.begin_nested():
            await step(ctx, lead, form)
    except ApiError as exc:
        await ctx.session.refresh(lead)
        message = exc.errors[0].get("message", exc.detail) if exc.errors else exc.detail
        errors = {str(lead.id): message}  # one form a move: its one field is plain
        return page("board.html", status=exc.status, errors=errors, **await board(ctx))
    return Redirect("/console/tradein/", status_code=303)


class BoardMoves(Controller):
    path = "/leads"

    @post("/{lead_id:uuid}/answer", opt=OFFER)
    async def answer(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        """As ``.../offers/{id}/accept`` or ``/decline``, for the lead's newest offer."""

        async def step(ctx: PluginContext, lead: Lead, form: Any) -> None:
            await _answer(ctx, lead, _text(form, "answer"))

        return await _move(ctx, page, request, lead_id, step)

    @post("/{lead_id:uuid}/lost", opt=APPRAISE)
    async def lost(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        return await _move(ctx, page, request, lead_id, _lost)

    @post("/{lead_id:uuid}/reconditioned", opt=APPRAISE)
    async def reconditioned(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        return await _move(ctx, page, request, lead_id, _reconditioned)

    @post("/{lead_id:uuid}/sold", opt=OFFER)
    async def sold(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        return await _move(ctx, page, request, lead_id, _sold)
