"""How a tenant scores RFM: the window, quantiles or fixed thresholds, and segment rules.

Read from the tenant's settings under ``rfm`` (``tenants/*.toml`` ``[settings.rfm]``);
every key has a default, so a tenant that sets nothing gets the defaults below. Rules are
tried in order and the first that matches names the segment; the defaults end with a rule
that matches everything, so every scored customer has a segment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from pitstop.errors import Unprocessable

Score = Annotated[int, msgspec.Meta(ge=1, le=5)]
Cuts = Annotated[list[Annotated[int, msgspec.Meta(ge=0)]], msgspec.Meta(min_length=4, max_length=4)]


class SegmentRule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    segment: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    r_min: Score = 1
    r_max: Score = 5
    f_min: Score = 1
    f_max: Score = 5
    m_min: Score = 1
    m_max: Score = 5
    first_visit_within_days: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Matches only customers whose first visit ever is this recent (a new customer)."""

    def matches(self, r: int, f: int, m: int, first_visit_days: int) -> bool:
        within = self.first_visit_within_days
        if within is not None and first_visit_days > within:
            return False
        return (
            self.r_min <= r <= self.r_max
            and self.f_min <= f <= self.f_max
            and self.m_min <= m <= self.m_max
        )


DEFAULT_RULES = (
    SegmentRule("new", first_visit_within_days=90),
    SegmentRule("high_value", r_min=4, f_min=4, m_min=4),
    SegmentRule("churn_warning", r_max=2, f_min=3),
    SegmentRule("sleeping", r_max=2),
    SegmentRule("potential"),
)
"""新客, 高价值, 流失预警, 沉睡, 潜力: the last one takes everyone recent who is not yet
high value."""


class RfmSettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    window_months: Annotated[int, msgspec.Meta(ge=1, le=120)] = 24
    method: Literal["quantiles", "thresholds"] = "quantiles"
    recency_days: Cuts = msgspec.field(default_factory=lambda: [30, 90, 180, 365])
    """Thresholds: R is 5 within the first many days of the last visit, 4 within the
    second, ... 1 beyond the last."""
    frequency: Cuts = msgspec.field(default_factory=lambda: [1, 2, 4, 8])
    """Thresholds: F is 1 up to the first many visits in the window, ... 5 above the last."""
    monetary: Cuts = msgspec.field(default_factory=lambda: [50_000, 150_000, 400_000, 1_000_000])
    """Thresholds in fen, as for ``frequency``."""
    segments: tuple[SegmentRule, ...] = DEFAULT_RULES

    def segment_of(self, r: int, f: int, m: int, first_visit_days: int) -> str:
        for rule in self.segments:
            if rule.matches(r, f, m, first_visit_days):
                return rule.segment
        return "other"


def rfm_settings(tenant_settings: dict[str, Any]) -> RfmSettings:
    """The tenant's RFM settings, or 422 naming ``rfm`` when they cannot be used."""
    try:
        return msgspec.convert(tenant_settings.get("rfm", {}), RfmSettings)
    except msgspec.ValidationError as exc:
        raise Unprocessable.field("rfm", str(exc), code="invalid_rfm_settings") from None
