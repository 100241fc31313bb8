"""The tenant's trade-in rules: who is a candidate, how a car is valued, when an offer
needs a manager.

Money is integer fen, percentages are whole or decimal percents. Every check raises a
``ValueError`` starting with the field's path, so ``PUT /api/v1/plugins/tradein`` answers
422 naming each bad field. Settings are read when an appraisal or offer is made and the
figures they produced are stored on it: a later change never rewrites a valuation shown
to a customer.
"""

from __future__ import annotations

import msgspec

GRADES = ("A", "B", "C", "D")


class Rule(msgspec.Struct, forbid_unknown_fields=True):
    """One candidate rule: switchable, with its threshold."""

    enabled: bool = True
    value: int = 0


class CandidateRules(msgspec.Struct, forbid_unknown_fields=True):
    min_vehicle_age_years: Rule = msgspec.field(default_factory=lambda: Rule(True, 3))
    max_vehicle_age_years: Rule = msgspec.field(default_factory=lambda: Rule(True, 8))
    min_odometer_km: Rule = msgspec.field(default_factory=lambda: Rule(True, 60_000))
    recent_repair_spend: Rule = msgspec.field(default_factory=lambda: Rule(True, 800_000))
    """Fen spent on the car over the last 12 months (default ¥8,000)."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            if getattr(self, name).value < 0:
                raise ValueError(f"candidate_rules.{name}.value: must not be negative")
        low, high = self.min_vehicle_age_years, self.max_vehicle_age_years
        if low.enabled and high.enabled and low.value > high.value:
            raise ValueError(
                "candidate_rules.max_vehicle_age_years.value: below min_vehicle_age_years"
            )


class Depreciation(msgspec.Struct, forbid_unknown_fields=True):
    """A per-year curve: ``first_years_pct`` for each of the first ``first_years``, then
    ``later_pct`` per year, each applied to what is left (declining balance)."""

    first_years: int = 3
    first_years_pct: float = 15.0
    later_pct: float = 10.0

    def __post_init__(self) -> None:
        if not 0 <= self.first_years <= 30:
            raise ValueError("depreciation.first_years: must be between 0 and 30")
        for name in ("first_years_pct", "later_pct"):
            if not 0 <= getattr(self, name) < 100:
                raise ValueError(f"depreciation.{name}: must be at least 0 and below 100")


class MileageAdjustment(msgspec.Struct, forbid_unknown_fields=True):
    """Per 10,000 km above (or below) ``expected_km_per_year`` times the car's age."""

    expected_km_per_year: int = 15_000
    pct_per_10000_km: float = 2.0
    max_pct: float = 30.0
    """The adjustment never exceeds this either way."""

    def __post_init__(self) -> None:
        if self.expected_km_per_year <= 0:
            raise ValueError("mileage_adjustment.expected_km_per_year: must be positive")
        if not 0 <= self.pct_per_10000_km <= 50:
            raise ValueError("mileage_adjustment.pct_per_10000_km: must be between 0 and 50")
        if not 0 <= self.max_pct < 100:
            raise ValueError("mileage_adjustment.max_pct: must be at least 0 and below 100")


def _conditions() -> dict[str, float]:
    return {"A": 1.00, "B": 0.93, "C": 0.85, "D": 0.70}


class HistoryBonus(msgspec.Struct, forbid_unknown_fields=True):
    """A car maintained on time at the shop is worth more: ``pct`` when the on-time share
    of its services reaches ``min_on_time_pct``."""

    pct: float = 3.0
    min_on_time_pct: float = 80.0
    interval_days: int = 365
    """A service within this many days of the previous one (or of purchase) is on time."""

    def __post_init__(self) -> None:
        if not 0 <= self.pct <= 20:
            raise ValueError("history_bonus_pct.pct: must be between 0 and 20")
        if not 0 <= self.min_on_time_pct <= 100:
            raise ValueError("history_bonus_pct.min_on_time_pct: must be between 0 and 100")
        if self.interval_days <= 0:
            raise ValueError("history_bonus_pct.interval_days: must be positive")


class PurchaseReward(msgspec.Struct, forbid_unknown_fields=True):
    """What the seller is given when the shop buys their car, through the reward contract
    (``reward.requested``; the membership plugin fulfils it)."""

    kind: str = "none"
    """``none``, ``points`` or ``voucher``."""
    points: int = 0
    voucher_template: str | None = None
    only_with_replacement: bool = False
    """Reward only a seller who bought the replacement car from us."""

    def check(self) -> None:
        """Called by :class:`TradeinSettings`, so a 422 names the field inside."""
        if self.kind not in ("none", "points", "voucher"):
            raise ValueError("purchase_reward.kind: one of none, points, voucher")
        if self.kind == "points" and not 0 < self.points <= 1_000_000:
            raise ValueError("purchase_reward.points: between 1 and 1,000,000 for points")
        if self.kind == "voucher" and not self.voucher_template:
            raise ValueError("purchase_reward.voucher_template: required for a voucher")


class TradeinSettings(msgspec.Struct, forbid_unknown_fields=True):
    candidate_rules: CandidateRules = msgspec.field(default_factory=CandidateRules)
    offer_valid_days: int = 7
    approval_over: int = 15_000_000
    """An offer above this (fen, default ¥150,000) needs a manager's approval."""
    approval_over_valuation_pct: float = 5.0
    """An offer more than this percent above the appraisal's valuation needs approval."""
    depreciation: Depreciation = msgspec.field(default_factory=Depreciation)
    mileage_adjustment: MileageAdjustment = msgspec.field(default_factory=MileageAdjustment)
    condition_factors: dict[str, float] = msgspec.field(default_factory=_conditions)
    history_bonus_pct: HistoryBonus = msgspec.field(default_factory=HistoryBonus)
    purchase_reward: PurchaseReward = msgspec.field(default_factory=PurchaseReward)

    def __post_init__(self) -> None:
        self.purchase_reward.check()
        if not 1 <= self.offer_valid_days <= 90:
            raise ValueError("offer_valid_days: must be between 1 and 90")
        if self.approval_over < 0:
            raise ValueError("approval_over: must not be negative")
        if not 0 <= self.approval_over_valuation_pct <= 100:
            raise ValueError("approval_over_valuation_pct: must be between 0 and 100")
        missing = [g for g in GRADES if g not in self.condition_factors]
        extra = sorted(set(self.condition_factors) - set(GRADES))
        if missing or extra:
            raise ValueError(f"condition_factors: give exactly the grades {list(GRADES)}")
        bad = [g for g, f in self.condition_factors.items() if not 0 < f <= 1.5]
        if bad:
            raise ValueError(f"condition_factors.{bad[0]}: must be above 0 and at most 1.5")
