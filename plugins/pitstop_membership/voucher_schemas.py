"""Request and response bodies of the voucher API (msgspec: types checked at the edge,
the rules between fields checked by :func:`template_errors`, all of them at once)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from pitstop.sdk import FreeText
from pitstop_membership.schemas import Reason
from pitstop_membership.settings import CATEGORIES
from pitstop_membership.voucher_models import TemplateKind

Fen = Annotated[int, msgspec.Meta(gt=0, le=100_000_000)]
TemplateCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,31}$")]
MAX_VALID_DAYS = 3660


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    code: TemplateCode
    """The template's name for requesters (``reward.requested``'s ``voucher_template``)."""
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    kind: TemplateKind
    amount: Fen | None = None
    percent: Annotated[int, msgspec.Meta(ge=1, le=99)] | None = None
    max_discount: Fen | None = None
    item_category: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")] | None = None
    min_spend: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] = 0
    categories: list[str] = msgspec.field(default_factory=list)
    valid_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_VALID_DAYS)] | None = None
    valid_until: dt.date | None = None
    stores: list[uuid.UUID] = msgspec.field(default_factory=list)
    budget: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] | None = None


def template_errors(data: TemplateIn, today: dt.date) -> list[dict[str, str]]:
    """Every rule between fields that ``data`` breaks, each naming its field. The messages
    are built here, not raised, so each has its Chinese in ``wording.ZH_CN`` (a value in
    one as ``%(name)s``); tests/plugins/test_plugin_wording.py breaks every rule and holds
    each message to it."""
    errors: list[tuple[str, str]] = []
    need = {
        TemplateKind.amount: ("amount",),
        TemplateKind.percent: ("percent",),
        TemplateKind.item: ("item_category", "max_discount"),
    }[data.kind]
    for name in need:
        if getattr(data, name) is None:
            errors.append((name, f"required for a {data.kind} voucher"))
    for name in ("amount", "percent", "item_category"):
        if name not in need and getattr(data, name) is not None:
            errors.append((name, f"not used by a {data.kind} voucher"))
    unknown = sorted(set(data.categories) - set(CATEGORIES))
    if unknown:
        known = ", ".join(CATEGORIES)
        errors.append(("categories", f"unknown categories: {', '.join(unknown)}; known: {known}"))
    if len(set(data.categories)) != len(data.categories):
        errors.append(("categories", "a category is named twice"))
    if (data.valid_days is None) == (data.valid_until is None):
        errors.append(("valid_days", "give either valid_days or valid_until"))
    if data.valid_until is not None and data.valid_until < today:
        errors.append(("valid_until", "is in the past"))
    if len(set(data.stores)) != len(data.stores):
        errors.append(("stores", "a store is named twice"))
    return [{"field": field, "message": message} for field, message in errors]


class TemplatePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Deactivate (issued vouchers stay valid) or reactivate; retitle."""

    active: bool | None = None
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None


class TemplateOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    title: str
    kind: str
    amount: int | None
    percent: int | None
    max_discount: int | None
    item_category: str | None
    min_spend: int
    categories: list[str]
    valid_days: int | None
    valid_until: dt.date | None
    stores: list[uuid.UUID]
    budget: int | None
    issued: int
    active: bool


class IssueIn(msgspec.Struct, forbid_unknown_fields=True):
    template_id: uuid.UUID
    customer_id: uuid.UUID
    reason: Reason
    store_id: uuid.UUID | None = None
    """The issuing store (whose liability it is); defaults to one's only store, else HQ."""


class VoidIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class VoucherOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    """The bearer secret the customer shows; never in logs or events."""
    status: str
    template_id: uuid.UUID
    title: str
    customer_id: uuid.UUID
    reason: FreeText
    valid_from: dt.datetime
    valid_until: dt.datetime
    issued_store_id: uuid.UUID | None
    order_id: uuid.UUID | None
    discount: int
    redeemed_store_id: uuid.UUID | None
    redeemed_at: dt.datetime | None
    voided_at: dt.datetime | None
