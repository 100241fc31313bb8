"""The programme's rules per tenant: earn rate, tiers, point lifetime, clawback.

Every field has a default so that turning the plugin on with ``{}`` runs the seeds'
four-tier programme. Cross-field rules live in ``__post_init__`` so a bad combination is a
422 that names the setting, never a programme that cannot be evaluated at night.
"""

from __future__ import annotations

import enum
import itertools
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from pitstop.sdk import PluginContext

CATEGORIES = ("maintenance", "repair", "beauty", "tyre", "inspection", "other")
"""The CRM's line categories: what ``service_order.completed`` splits amounts by."""

Multiplier = Annotated[float, msgspec.Meta(ge=0, le=100)]


class Rounding(enum.StrEnum):
    down = "down"
    nearest = "nearest"
    up = "up"


class Clawback(enum.StrEnum):
    allow_negative = "allow_negative"
    """A refund takes back every point it earned, even if that leaves the member owing."""
    cap_at_zero = "cap_at_zero"
    """A refund takes back what the member still holds and forgives the rest."""


class AutoEnrol(enum.StrEnum):
    first_completed_order = "first_completed_order"
    off = "off"


class Tier(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    threshold: Annotated[int, msgspec.Meta(ge=0)]
    """Qualifying spend in fen within the rolling window that earns this tier."""
    multiplier: Multiplier = 1.0
    benefits: str = ""


DEFAULT_TIERS = [
    Tier("regular", "普通会员", 0, 1.0, "积分累积"),
    Tier("silver", "银卡", 300_000, 1.2, "积分1.2倍"),
    Tier("gold", "金卡", 1_000_000, 1.5, "积分1.5倍, 免费洗车"),
    Tier("black", "黑卡", 2_000_000, 2.0, "积分2倍, 专属顾问, 免费道路救援"),
]


def _default_categories() -> dict[str, float]:
    return dict.fromkeys(CATEGORIES, 1.0)


class MembershipSettings(msgspec.Struct, forbid_unknown_fields=True):
    points_per_yuan: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 1.0
    rounding: Rounding = Rounding.down
    category_multipliers: dict[str, Multiplier] = msgspec.field(default_factory=_default_categories)
    tiers: list[Tier] = msgspec.field(default_factory=lambda: list(DEFAULT_TIERS))
    qualification_window_months: Annotated[int, msgspec.Meta(ge=1, le=60)] = 12
    point_lifetime_months: Annotated[int, msgspec.Meta(ge=0, le=120)] = 12
    """0: points never expire."""
    expire_at_month_end: bool = True
    pending_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 0
    birthday_multiplier: Multiplier = 1.0
    auto_enrol: AutoEnrol = AutoEnrol.first_completed_order
    clawback: Clawback = Clawback.allow_negative
    timezone: str | None = None
    """Where month ends, birthdays and review dates are counted; None: the tenant's zone."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or "Asia/Shanghai")

    def __post_init__(self) -> None:
        unknown = sorted(set(self.category_multipliers) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"category_multipliers: unknown categories {unknown}")
        self._check_tiers()
        if self.point_lifetime_months and self.pending_days > 28 * self.point_lifetime_months:
            raise ValueError("pending_days must end before the points expire")
        try:
            self.zone  # noqa: B018 - validates the name
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: {self.timezone!r} is not an IANA time zone") from None

    def _check_tiers(self) -> None:
        if not self.tiers:
            raise ValueError("tiers: at least one tier is needed")
        if self.tiers[0].threshold != 0:
            raise ValueError("tiers: the first tier must have threshold 0 (every member has one)")
        codes = [t.code for t in self.tiers]
        if len(set(codes)) != len(codes):
            raise ValueError("tiers: codes must be unique")
        thresholds = [t.threshold for t in self.tiers]
        if any(b <= a for a, b in itertools.pairwise(thresholds)):
            raise ValueError("tiers: thresholds must rise strictly from one tier to the next")

    # -- lookups used by the rules -----------------------------------------------------

    def tier(self, code: str) -> Tier:
        """The tier with this code; a code removed from the settings reads as the lowest."""
        for tier in self.tiers:
            if tier.code == code:
                return tier
        return self.tiers[0]

    def rank(self, code: str) -> int:
        return self.tiers.index(self.tier(code))

    def category_multiplier(self, category: str) -> Decimal:
        return Decimal(str(self.category_multipliers.get(category, 1.0)))


def programme(ctx: PluginContext[MembershipSettings]) -> MembershipSettings:
    """The tenant's settings with the time zone resolved: the tenant's own unless set here."""
    settings = ctx.settings
    if settings.timezone is None:
        return msgspec.structs.replace(settings, timezone=ctx.timezone)
    return settings
