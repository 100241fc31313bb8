"""Pricing a service order: line amounts, discounts, totals and the tenant's limits.

Every figure is computed here from the lines, never taken from the client. A line's amount
is ``quantity x unit_price`` rounded half up to the fen, in Decimal throughout: 4.5 L of oil
at 1,999 fen is 8,995.5 and is billed 8,996. A discount is a line like any other (kind
``discount``) whose positive amount is taken off the total and off its own category, so the
per-category ``amounts`` always add up to the ``total`` that plugins (points) are paid on,
while ``labor_total`` and ``parts_total`` stay the charges as worked.

The limits are tenant settings, flat keys in ``tenants.settings`` beside
``service_interval_km``. They exist because an order of 200 lines x 10,000 x ¥100,000,000
was once accepted and minted 240 trillion points: a typo or a prank must be refused before
anything is written, naming the line and field to correct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

import structlog

from pitstop.crm.models import LineKind, ServiceOrderLine
from pitstop.crm.schemas import MAX_FEN, LineIn, Quantity
from pitstop.errors import Unprocessable

log = structlog.get_logger("pitstop.crm.pricing")

MAX_LINE_QUANTITY = "orders.max_line_quantity"
MAX_UNIT_PRICE = "orders.max_unit_price"
MAX_ORDER_TOTAL = "orders.max_order_total"

T = TypeVar("T")


@dataclass(frozen=True)
class OrderLimits:
    """What one order may hold; the defaults suit a car-service shop (¥ = 100 fen)."""

    max_line_quantity: Decimal = Decimal(1_000)
    max_unit_price: int = 1_000_000 * 100
    max_order_total: int = 5_000_000 * 100

    @classmethod
    def of(cls, settings: Mapping[str, object]) -> OrderLimits:
        """The tenant's limits. A malformed value (no API writes these keys yet) reads as
        the default and is logged by key: the defaults are the safe side, never "no limit"."""
        default = cls()
        return cls(
            max_line_quantity=_setting(
                settings, MAX_LINE_QUANTITY, default.max_line_quantity, Quantity.check
            ),
            max_unit_price=_setting(settings, MAX_UNIT_PRICE, default.max_unit_price, _fen),
            max_order_total=_setting(settings, MAX_ORDER_TOTAL, default.max_order_total, _fen),
        )


def _fen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_FEN * 1000:
        raise ValueError("must be a positive integer of fen")
    return value


def _setting(
    settings: Mapping[str, object], key: str, default: T, read: Callable[[object], T]
) -> T:
    if key not in settings:
        return default
    try:
        return read(settings[key])
    except (TypeError, ValueError):
        log.warning("tenant_setting_invalid", key=key, using="default")
        return default


def line_amount(quantity: Decimal, unit_price: int) -> int:
    """``quantity x unit_price`` in fen, rounded half up (8,995.5 -> 8,996), never via float."""
    return int((quantity * unit_price).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Priced:
    lines: list[ServiceOrderLine]
    labor: int
    parts: int
    discount: int
    by_category: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.labor + self.parts - self.discount


def price_lines(lines: Sequence[LineIn], limits: OrderLimits) -> Priced:
    """Order lines with their amounts and the totals; a 422 naming the field if any is off."""
    _refuse_empty_discounts(lines)
    _refuse_over_limit(lines, limits)
    rows: list[ServiceOrderLine] = []
    by_kind = dict.fromkeys(LineKind, 0)
    by_category: dict[str, int] = {}
    for position, line in enumerate(lines):
        amount = line_amount(line.quantity, line.unit_price)
        rows.append(
            ServiceOrderLine(
                position=position,
                kind=line.kind,
                category=line.category,
                description=line.description.strip(),
                quantity=Decimal(line.quantity),
                unit_price=line.unit_price,
                amount=amount,
            )
        )
        by_kind[line.kind] += amount
        signed = -amount if line.kind == LineKind.discount else amount
        by_category[str(line.category)] = by_category.get(str(line.category), 0) + signed
    priced = Priced(
        rows,
        by_kind[LineKind.labor],
        by_kind[LineKind.part],
        by_kind[LineKind.discount],
        by_category,
    )
    _refuse_total(priced, limits)
    return priced


def _refuse_empty_discounts(lines: Sequence[LineIn]) -> None:
    for position, line in enumerate(lines):
        if line.kind == LineKind.discount and line.unit_price == 0:
            raise Unprocessable.field(
                f"lines[{position}].unit_price", "a discount must be above 0 fen"
            )


def _refuse_over_limit(lines: Sequence[LineIn], limits: OrderLimits) -> None:
    """Every line's problems at once: the advisor corrects the order in one pass."""
    errors = []
    for position, line in enumerate(lines):
        if line.quantity > limits.max_line_quantity:
            errors.append(
                {
                    "field": f"lines[{position}].quantity",
                    "message": f"at most {limits.max_line_quantity} per line "
                    f"(tenant setting {MAX_LINE_QUANTITY})",
                }
            )
        if line.unit_price > limits.max_unit_price:
            errors.append(
                {
                    "field": f"lines[{position}].unit_price",
                    "message": f"at most {limits.max_unit_price} fen "
                    f"(tenant setting {MAX_UNIT_PRICE})",
                }
            )
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise Unprocessable(detail + more, code="order_over_limit", errors=errors)


def _refuse_total(priced: Priced, limits: OrderLimits) -> None:
    if priced.total < 0:
        raise Unprocessable.field(
            "lines",
            "the discounts exceed the charges: a total cannot go below zero",
            code="order_total_negative",
        )
    if priced.total > limits.max_order_total:
        raise Unprocessable.field(
            "lines",
            f"the order total may be at most {limits.max_order_total} fen "
            f"(tenant setting {MAX_ORDER_TOTAL})",
            code="order_over_limit",
        )
