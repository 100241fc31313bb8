"""A lead's page at the console (``/console/tradein/leads/{id}``): its appraisals and
offers, and the moves that need figures — appraise the car, make an offer, approve or
reject one, buy the car — each as a form.

Each form is the twin of an API route and calls the same function with the API's request
shape (``appraisals.appraise`` with ``AppraisalCreate``, ``offers.make_offer`` with
``OfferCreate``, ``offers.decide``, ``leads.purchase`` with ``Purchase``), so the stage
checks, the valuation, the approval rules, the audit entries (``tradein.appraised``,
``tradein.offer_made``, ``tradein.offer_approved``/``_rejected``, ``tradein.purchased``) and
the events are the API's, and so are the permissions (``tradein:appraise``, ``tradein:offer``,
``tradein:approve``). Amounts are typed in yuan and given to the service in fen. A refused
form is the page again with each bad field named beside it (prefixed by the form:
``offer.amount``) and what was typed kept; it runs in a savepoint and leaves nothing.
Another store's or tenant's lead, or an offer of another lead, is the 404 page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select

from pitstop.sdk import ApiError, ConsolePage, PluginContext, Unprocessable, get_vehicle

from . import leads, offers
from .appraisals import appraise
from .board_moves import yuan
from .models import Appraisal, Lead, Offer
from .schemas import (
    AppraisalCreate,
    OfferCreate,
    Purchase,
    appraisal_out,
    lead_out,
    offer_out,
)
from .valuation import PARTS

READ, APPRAISE = {"permission": "tradein:read"}, {"permission": "tradein:appraise"}
OFFER, APPROVE = {"permission": "tradein:offer"}, {"permission": "tradein:approve"}
RECON_ROWS = 3
"""Reconditioning lines on the appraisal form (blank ones are left out)."""
FIELDS = {
    "appraise": {"odometer_km", "keys", "book_value", "book_value_source", "odometer_reason",
                 "recon_items", *(f"inspection.{p}" for p in PARTS)},
    "offer": {"amount", "valid_days"},
    "purchase": {"price", "replacement.amount"},
}  # fmt: skip
"""The fields each form shows an error beside; any other error is the form's as a whole."""
ROLLBACK = "below the km the shop recorded: tick the confirmation and give the reason"
_AT = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`")
Step = Callable[[PluginContext, Lead, Any], Awaitable[None]]


def _text(form: Any, name: str) -> str:
    return str(form.get(name, "")).strip()


def _typed(values: Mapping[str, Any], shape: type) -> Any:
    """``values`` (blank ones left out) as ``shape``; a bad one a 422 naming its path."""
    try:
        return msgspec.convert(_filled(values), shape, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        at = _AT.search(text)
        path, rule = (at.group("path"), text[: at.start()]) if at else ("", text)
        missing = _MISSING.match(rule)
        if missing:
            path, rule = ".".join(p for p in (path, missing.group("name")) if p), "is required"
        raise Unprocessable.field(re.sub(r"\[(\d+)\]", r".\1", path) or "form", rule) from None


def _filled(values: Any) -> Any:
    if isinstance(values, Mapping):
        return {k: _filled(v) for k, v in values.items() if v not in ("", None)}
    if isinstance(values, list):
        return [_filled(v) for v in values]
    return values


def _fen(form: Any, name: str, field: str | None = None) -> int | str:
    """A yuan field as fen, or "" when blank (the shape says whether it is required)."""
    text = _text(form, name)
    return yuan(text, field or name) if text else ""


def appraisal_of(form: Any) -> AppraisalCreate:
    """The appraisal form as the API's request."""
    items = []
    for n in range(RECON_ROWS):
        category, estimate = _text(form, f"recon.{n}.category"), _text(form, f"recon.{n}.estimate")
        if category or estimate:
            fen = yuan(estimate, f"recon_items.{n}.estimate") if estimate else ""
            items.append({"category": category, "estimate": fen})
    values = {
        "odometer_km": _text(form, "odometer_km"),
        "inspection": {p: {"grade": _text(form, f"inspection.{p}")} for p in PARTS},
        "accident": bool(form.get("accident")),
        "flood": bool(form.get("flood")),
        "keys": _text(form, "keys"),
        "book_value": _fen(form, "book_value"),
        "book_value_source": _text(form, "book_value_source"),
        "recon_items": items,
        "confirm_odometer": bool(form.get("confirm_odometer")),
        "odometer_reason": _text(form, "odometer_reason"),
    }
    data: AppraisalCreate = _typed(values, AppraisalCreate)
    return data


async def _appraise(ctx: PluginContext, lead: Lead, form: Any) -> None:
    try:
        await appraise(ctx, lead, appraisal_of(form))
    except ApiError as exc:
        if exc.code == "odometer_rollback_suspected":  # its message names the API's fields
            raise Unprocessable.field("odometer_km", ROLLBACK, code=exc.code) from None
        raise


async def _offer(ctx: PluginContext, lead: Lead, form: Any) -> None:
    values = {"amount": _fen(form, "amount"), "valid_days": _text(form, "valid_days")}
    data: OfferCreate = _typed(values, OfferCreate)
    await offers.make_offer(ctx, lead, data.amount, data.valid_days)


async def _purchase(ctx: PluginContext, lead: Lead, form: Any) -> None:
    from_us = bool(form.get("bought_from_us"))
    replacement = {"bought_from_us": from_us,
                   "amount": _fen(form, "replacement_amount", "replacement.amount")}  # fmt: skip
    data: Purchase = _typed({"price": _fen(form, "price"), "replacement": replacement}, Purchase)
    r = data.replacement
    await leads.purchase(ctx, lead, data.price, r.bought_from_us, r.amount)


def _decision(approve: bool, offer_id: uuid.UUID) -> Step:
    async def step(ctx: PluginContext, lead: Lead, form: Any) -> None:
        await offers.decide(ctx, lead, await offers.of_lead(ctx, lead, offer_id), approve=approve)

    return step


def errors_for(name: str, exc: ApiError) -> dict[str, str]:
    """The service's errors beside the form's fields (``offer.amount``, a grade beside its
    part, a reconditioning line's beside the lines); the rest, such as a stage that allows
    no offer, at the top of the form."""
    fields = FIELDS.get(name, set())
    errors = {}
    for error in exc.errors or [{"field": "form", "message": exc.detail}]:
        field = str(error.get("field") or "form")
        steps = field.split(".")
        beside = next((f for f in (field, ".".join(steps[:2]), steps[0]) if f in fields), "form")
        errors[f"{name}.{beside}"] = str(error.get("message", exc.detail))
    return errors


async def lead_page(
    ctx: PluginContext, lead: Lead, errors: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What the lead's page shows: the lead, its car, every appraisal and offer, and which
    forms the reader may use."""
    vehicle = await get_vehicle(ctx, lead.vehicle_id)
    appraisals = await ctx.session.scalars(
        select(Appraisal).where(Appraisal.lead_id == lead.id).order_by(Appraisal.version)
    )
    made = await ctx.session.scalars(
        select(Offer).where(Offer.lead_id == lead.id).order_by(Offer.created_at, Offer.id)
    )
    principal = ctx.principal
    may = {p: principal is not None and principal.can(f"tradein:{p}")
           for p in ("appraise", "offer", "approve")}  # fmt: skip
    return {
        "lead": lead_out(lead),
        "vehicle": None if vehicle is None else f"{vehicle.make or ''} {vehicle.model or ''}",
        "appraisals": [appraisal_out(a) for a in appraisals.all()],
        "offers": [offer_out(o) for o in made.all()],
        "parts": PARTS,
        "recon_rows": RECON_ROWS,
        "may": may,
        "errors": dict(errors or {}),
        "typed": dict(typed or {}),
    }


async def _act(
    ctx: PluginContext, page: ConsolePage, request: Request[Any, Any, Any],
    lead_id: uuid.UUID, name: str, step: Step,
) -> Any:  # fmt: skip
    """The lead (404 unless the reader sees it), the step in a savepoint, back to its page;
    a refusal leaves nothing and names each bad field on the form."""
    lead = await leads.visible(ctx, lead_id, lock=True)
    form = await request.form()
    try:
        async with ctx.session.begin_nested():
            await step(ctx, lead, form)
    except ApiError as exc:
        if exc.status == 404:  # an offer of another lead: as any record not found
            raise
        await ctx.session.refresh(lead)
        typed = {f"{name}.{k}": str(v) for k, v in form.items()}
        values = await lead_page(ctx, lead, errors_for(name, exc), typed)
        return page("lead.html", status=exc.status, **values)
    return Redirect(f"/console/tradein/leads/{lead.id}", status_code=303)


class LeadPages(Controller):
    path = "/leads"

    @get("/{lead_id:uuid}", opt=READ)
    async def lead(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        return page("lead.html", **await lead_page(ctx, await leads.visible(ctx, lead_id)))

    @post("/{lead_id:uuid}/appraise", opt=APPRAISE)
    async def appraise(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        """As ``POST .../appraisals``: a new version (a locked one is never changed)."""
        return await _act(ctx, page, request, lead_id, "appraise", _appraise)

    @post("/{lead_id:uuid}/offer", opt=OFFER)
    async def offer(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        """As ``POST .../offers``: awaiting approval when the rules ask for it."""
        return await _act(ctx, page, request, lead_id, "offer", _offer)

    @post("/{lead_id:uuid}/offers/{offer_id:uuid}/{decision:str}", opt=APPROVE)
    async def decide(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
        offer_id: FromPath[uuid.UUID], decision: FromPath[str],
    ) -> Any:  # fmt: skip
        """As ``POST .../offers/{id}/approve`` or ``/reject``."""
        if decision not in ("approve", "reject"):
            await leads.visible(ctx, lead_id)
            raise Unprocessable.field("decision", "is approve or reject")
        step = _decision(decision == "approve", offer_id)
        return await _act(ctx, page, request, lead_id, "decide", step)

    @post("/{lead_id:uuid}/purchase", opt=OFFER)
    async def purchase(
        self, ctx: NamedDependency[PluginContext], page: NamedDependency[ConsolePage],
        request: Request[Any, Any, Any], lead_id: FromPath[uuid.UUID],
    ) -> Any:  # fmt: skip
        """As ``POST .../purchase``: the price, and whether the replacement is ours."""
        return await _act(ctx, page, request, lead_id, "purchase", _purchase)
