"""The tenant's referral rules: what each side gets, what qualifies, when to hold for review.

Money is integer fen. Every check raises a ``ValueError`` starting with the field's path,
so ``PUT /api/v1/plugins/referrals`` answers 422 naming each bad field. The rules in force
when a referral qualifies are the ones it is rewarded under; a later change never
re-rewards or takes back what was requested.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Kind = Literal["points", "voucher", "none"]


class Reward(msgspec.Struct, forbid_unknown_fields=True):
    """What one side receives; ``points`` for points, ``voucher_template`` (a membership
    template's code) for a voucher."""

    kind: Kind = "none"
    points: int = 0
    voucher_template: str | None = None

    def check(self, path: str) -> None:
        if self.kind == "points" and not 0 < self.points <= 1_000_000:
            raise ValueError(f"{path}.points: must be between 1 and 1000000 for points")
        if self.kind != "points" and self.points:
            raise ValueError(f"{path}.points: only for kind points")
        if self.kind == "voucher" and not (self.voucher_template or "").strip():
            raise ValueError(f"{path}.voucher_template: needed for kind voucher")
        if self.kind != "voucher" and self.voucher_template:
            raise ValueError(f"{path}.voucher_template: only for kind voucher")


class Tier(msgspec.Struct, forbid_unknown_fields=True):
    """A bonus for the referrer at their ``at``-th successful referral (3rd, 5th...)."""

    at: int
    reward: Reward


def _referrer() -> Reward:
    return Reward("points", 500)


def _referee() -> Reward:
    return Reward("points", 300)


class ReferralSettings(msgspec.Struct, forbid_unknown_fields=True):
    referrer_reward: Reward = msgspec.field(default_factory=_referrer)
    referee_reward: Reward = msgspec.field(default_factory=_referee)
    min_first_order: int = 20_000
    """The referee's first paid order must reach this (fen, after discounts; ¥200)."""
    review_days: int = 7
    """A refund of the first order inside this many days disqualifies the referral."""
    invite_valid_days: int = 90
    max_rewards_per_referrer_per_year: int = 10
    """Referrer rewards (bonuses included) per calendar year in the tenant's zone."""
    tiers: list[Tier] = msgspec.field(default_factory=list)
    auto_approve: bool = True
    """Clean referrals reward without review; False holds every one for a reviewer."""
    velocity_limit: int = 3
    """More referrals than this by one referrer within 24 hours go to review."""
    staff_gaming_minutes: int = 60
    """The staff member who linked the referee completing their first order within this
    many minutes of the link is a signal."""
    point_value_fen: int = 0
    """What one point costs the shop, in fen, for the cost per acquired customer; 0: points
    are not priced (the membership programme has an earn rate, not a redemption value)."""
    revoke_on_late_refund: bool = False
    """A refund of the first order after the window closed takes the rewards back (the
    referral ends ``disqualified``, ``refunded_after_reward``); off: the window is final."""

    def __post_init__(self) -> None:
        self.referrer_reward.check("referrer_reward")
        self.referee_reward.check("referee_reward")
        checks = (
            ("min_first_order", 0, 100_000_000),
            ("review_days", 0, 90),
            ("invite_valid_days", 1, 3650),
            ("max_rewards_per_referrer_per_year", 0, 1000),
            ("velocity_limit", 1, 1000),
            ("staff_gaming_minutes", 0, 7 * 24 * 60),
            ("point_value_fen", 0, 100_000),
        )
        for name, low, high in checks:
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{name}: must be between {low} and {high}")
        seen: set[int] = set()
        for i, tier in enumerate(self.tiers):
            if not 1 <= tier.at <= 1000 or tier.at in seen:
                raise ValueError(f"tiers.{i}.at: must be a distinct count between 1 and 1000")
            seen.add(tier.at)
            tier.reward.check(f"tiers.{i}.reward")
