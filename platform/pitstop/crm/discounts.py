"""Discounts offered by plugins against a code: a voucher, a promotion, a partner's coupon.

A discount is a core concept (a ``discount`` line, see :mod:`pitstop.crm.pricing`); *who*
honours a code is not. ``POST /api/v1/service-orders/{id}/vouchers {code}`` asks the
plugins the tenant enabled, through :class:`DiscountProviders` (the plugin host, typed by
this protocol so the CRM need not know the host), and the first that recognises the code
answers with a :class:`DiscountOffer`: how much, off which line categories. The core then
adds the lines and reprices the order here, in the same transaction as the plugin's own
hold on the code, so a code is either on the order and held, or neither.

The plugin validates the code against the order (customer, store, validity, minimum spend)
and holds it exactly once; the core checks only what is its own: the order still takes
changes and no category goes below zero.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Protocol, runtime_checkable

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from pitstop.access.principal import Principal
from pitstop.crm.models import LineCategory, LineKind, OrderStatus, ServiceOrder, ServiceOrderLine
from pitstop.errors import Conflict, Unprocessable

MAX_CODE_LENGTH = 64


class DiscountOffer(msgspec.Struct, frozen=True):
    """A plugin's answer to a code: fen off per line category, and the line's wording.

    ``amounts`` names the order's line categories (``maintenance``, ``beauty``...) and the
    fen to take off each; every amount is above 0 and at most what that category holds on
    the order (a plugin caps its voucher to the order, the core refuses an offer that does
    not). ``reference`` is the plugin's own id for what was redeemed (a voucher id), kept
    in the line's description only through ``description``: the code itself never is.
    """

    description: str
    amounts: Mapping[str, int]
    reference: uuid.UUID | None = None


class VoucherCodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CODE_LENGTH)]


@runtime_checkable
class DiscountProviders(Protocol):
    """The enabled plugins' answer to a code on an order, inside the caller's transaction.

    Runtime-checkable because Litestar checks an injected value against its annotation.
    """

    async def redeem_code(
        self,
        session: AsyncSession,
        *,
        order: ServiceOrder,
        code: str,
        principal: Principal,
    ) -> DiscountOffer | None:
        """The first enabled plugin's offer for ``code`` (None: nobody knows it)."""
        ...


def _check_offer(order: ServiceOrder, offer: DiscountOffer) -> list[tuple[LineCategory, int]]:
    """The offer's parts; a malformed offer is the plugin's bug, said as such (never a 500
    that leaks the code): 422 naming ``code``."""
    parts: list[tuple[LineCategory, int]] = []
    for category, amount in sorted(offer.amounts.items()):
        try:
            known = LineCategory(category)
        except ValueError:
            raise Unprocessable.field(
                "code", "the discount names an unknown line category", code="discount_invalid"
            ) from None
        held = int(order.amounts.get(category, 0))
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= held:
            raise Unprocessable.field(
                "code",
                f"the discount on {category} must be above 0 and at most {held} fen",
                code="discount_invalid",
            )
        parts.append((known, amount))
    if not parts:
        raise Unprocessable.field("code", "the discount is empty", code="discount_invalid")
    return parts


async def redeem(
    session: AsyncSession,
    providers: DiscountProviders,
    order: ServiceOrder,
    code: str,
    principal: Principal,
    lines: list[ServiceOrderLine],
) -> list[ServiceOrderLine]:
    """Add the discount the code is worth to an open order; 422 ``unknown_code`` if no
    enabled plugin recognises it (another tenant's code included: nothing says whose)."""
    if order.status not in (OrderStatus.open, OrderStatus.in_progress):
        raise Conflict(
            f"cannot redeem a code on a service order that is {order.status}",
            code="invalid_status",
            status_now=str(order.status),
        )
    normalised = code.strip()
    if not normalised:
        raise Unprocessable.field("code", "must not be blank")
    offer = await providers.redeem_code(session, order=order, code=normalised, principal=principal)
    if offer is None:
        raise Unprocessable.field("code", "no such voucher or code", code="unknown_code")
    added = []
    position = max((line.position for line in lines), default=-1) + 1
    amounts = dict(order.amounts)
    for category, amount in _check_offer(order, offer):
        line = ServiceOrderLine(
            order_id=order.id,
            position=position,
            kind=LineKind.discount,
            category=category,
            description=offer.description.strip()[:300] or "voucher",
            quantity=Decimal(1),
            unit_price=amount,
            amount=amount,
        )
        session.add(line)
        added.append(line)
        position += 1
        amounts[str(category)] = int(amounts[str(category)]) - amount
        order.discount_total += amount
        order.total -= amount
    order.amounts = amounts
    await session.flush()
    return lines + added
