"""The tenant's retention rules: when a car is due, when to remind, when a customer is at
risk, dormant or lost, what follows a service, and what counts as an unhappy answer.

Every check raises a ``ValueError`` starting with the field's path, so
``PUT /api/v1/plugins/retention`` answers 422 naming each bad field.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from pitstop.sdk import parse_duration


class ServiceInterval(msgspec.Struct, forbid_unknown_fields=True):
    """A maintenance is due after ``km`` kilometres or ``months`` months, whichever first."""

    km: int = 5_000
    months: int = 6

    def problem(self) -> tuple[str, str] | None:
        """The first bad field and what is wrong with it (the settings and a store's own)."""
        if not 500 <= self.km <= 100_000:
            return "km", "must be between 500 and 100000"
        if not 1 <= self.months <= 36:
            return "months", "must be between 1 and 36"
        return None

    def check(self, path: str) -> None:
        found = self.problem()
        if found is not None:
            raise ValueError(f"{path}.{found[0]}: {found[1]}")


class FollowUpStep(msgspec.Struct, forbid_unknown_fields=True):
    """One step after a completed service: a message (the survey or a care note) or a call."""

    day: int
    action: Literal["survey", "message", "call"]


def _follow_up() -> list[FollowUpStep]:
    return [FollowUpStep(1, "survey"), FollowUpStep(7, "call"), FollowUpStep(30, "message")]


class LowScore(msgspec.Struct, forbid_unknown_fields=True):
    """A survey at or below either threshold asks for a callback within ``callback_within``
    business hours of the store, and a complaint."""

    csi_at_most: int = 2
    nps_at_most: int = 6
    callback_within: str = "24h"

    def __post_init__(self) -> None:
        if not 0 <= self.csi_at_most <= 5:
            raise ValueError("low_score.csi_at_most: must be between 0 and 5")
        if not -1 <= self.nps_at_most <= 10:
            raise ValueError("low_score.nps_at_most: must be between -1 and 10")
        try:
            parse_duration(self.callback_within)
        except ValueError as exc:
            raise ValueError(f"low_score.callback_within: {exc}") from None


class RetentionSettings(msgspec.Struct, forbid_unknown_fields=True):
    service_interval: ServiceInterval = msgspec.field(default_factory=ServiceInterval)
    interval_by_make: dict[str, ServiceInterval] = msgspec.field(default_factory=dict)
    """Per vehicle make (as registered, e.g. ``"Tesla"``), overriding ``service_interval``."""
    default_km_per_day: int = 40
    """A car with fewer than two usable readings is assumed to drive this much."""
    remind_before_days: int = 14
    remind_on_due: bool = True
    overdue_reminders_days: list[int] = msgspec.field(default_factory=lambda: [14, 45])
    reminder_grace_days: int = 7
    """A stage is sent only this many days after its day at most; one further past (a car
    long overdue when reminders were switched on, a run that did not happen) is recorded as
    ``skipped_late`` and never sent: no blast of stale "due nine months ago" messages."""
    overdue_after_days: int = 7
    """A car past its due date by this many days is ``overdue`` (before that: ``due``)."""
    conversion_days: int = 30
    """A visit this many days after a reminder or recall counts as its conversion."""
    dormant_after_months: int = 12
    lost_after_months: int = 24
    missed_services_for_risk: int = 2
    complaint_unresolved_days: int = 7
    follow_up: list[FollowUpStep] = msgspec.field(default_factory=_follow_up)
    low_score: LowScore = msgspec.field(default_factory=LowScore)
    recall_offer: str | None = None
    """A voucher template code granted (``reward.requested``) to a dormant customer's recall."""

    def __post_init__(self) -> None:
        self.service_interval.check("service_interval")
        for make, interval in self.interval_by_make.items():
            if not make.strip():
                raise ValueError("interval_by_make: a make must not be empty")
            interval.check(f"interval_by_make.{make}")
        self._check_days()
        self._check_customer_rules()
        for i, step in enumerate(self.follow_up):
            if not 0 <= step.day <= 365:
                raise ValueError(f"follow_up.{i}.day: must be between 0 and 365")
        if len({s.day for s in self.follow_up}) != len(self.follow_up):
            raise ValueError("follow_up: two steps on the same day")
        if self.recall_offer is not None and not 1 <= len(self.recall_offer) <= 64:
            raise ValueError("recall_offer: a voucher template code of 1 to 64 characters")

    def _check_days(self) -> None:
        if not 1 <= self.default_km_per_day <= 1_000:
            raise ValueError("default_km_per_day: must be between 1 and 1000")
        if not 0 <= self.remind_before_days <= 90:
            raise ValueError("remind_before_days: must be between 0 and 90")
        days = self.overdue_reminders_days
        if any(not 1 <= d <= 365 for d in days):
            raise ValueError("overdue_reminders_days: each must be between 1 and 365")
        if days != sorted(set(days)) or len(days) > 5:
            raise ValueError("overdue_reminders_days: at most 5, increasing, no repeats")
        if not 0 <= self.reminder_grace_days <= 60:
            raise ValueError("reminder_grace_days: must be between 0 and 60")
        if not 1 <= self.overdue_after_days <= 365:
            raise ValueError("overdue_after_days: must be between 1 and 365")
        if not 1 <= self.conversion_days <= 180:
            raise ValueError("conversion_days: must be between 1 and 180")

    def _check_customer_rules(self) -> None:
        if not 1 <= self.dormant_after_months <= 60:
            raise ValueError("dormant_after_months: must be between 1 and 60")
        if not self.dormant_after_months < self.lost_after_months <= 120:
            raise ValueError("lost_after_months: must be above dormant_after_months, at most 120")
        if not 1 <= self.missed_services_for_risk <= 12:
            raise ValueError("missed_services_for_risk: must be between 1 and 12")
        if not 1 <= self.complaint_unresolved_days <= 90:
            raise ValueError("complaint_unresolved_days: must be between 1 and 90")

    def interval_for(
        self, make: str | None, store: ServiceInterval | None = None
    ) -> ServiceInterval:
        """The make's interval, else the store's own, else the tenant's: a maker's schedule
        (an EV's, a Tesla's) is about the car wherever it is serviced, a store's (dusty
        roads, short trips) replaces the chain's general rule for its cars."""
        return self.interval_by_make.get(make or "") or store or self.service_interval
