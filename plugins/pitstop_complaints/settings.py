"""The tenant's complaint rules: severities, SLA policies, tier overrides, routing, escalation.

Every duration is checked when the settings are saved (a 422 names the field), so an SLA
clock can never meet a target it cannot compute. Settings are read when a complaint is
logged and copied onto it: a policy change applies to new complaints, while running clocks
keep the targets they started with (a customer is never told one deadline and held to
another).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from pitstop.sdk import Duration, parse_duration

CalendarKind = Literal["24x7", "store"]
CATEGORIES = ("service_quality", "price", "attitude", "waiting_time", "parts", "billing", "other")


def duration(text: str, field: str) -> Duration:
    """Parse an SLA duration; a bad one is a ValueError naming the field (a 422 on save)."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None


def delay_seconds(text: str, field: str) -> int:
    """An escalation delay: ``0`` (at once) or a h/m/s duration of open time."""
    if text.strip() in ("0", "0s"):
        return 0
    parsed = duration(text, field)
    if parsed.days:
        raise ValueError(f"{field}: escalation delays are h/m/s, not business days")
    return parsed.seconds


class Policy(msgspec.Struct, forbid_unknown_fields=True):
    """One severity's targets: first response and resolution, on a calendar."""

    first_response: str
    resolution: str
    calendar: CalendarKind = "store"

    def __post_init__(self) -> None:
        duration(self.first_response, "first_response")
        duration(self.resolution, "resolution")


def _default_policies() -> dict[str, Policy]:
    return {
        "A": Policy("2h", "24h", "24x7"),
        "B": Policy("8h", "3d", "store"),
        "C": Policy("1d", "7d", "store"),
    }


class RoutingRule(msgspec.Struct, forbid_unknown_fields=True):
    """Matches when every non-empty list contains the complaint's value; first match wins.

    The target is a role (round robin among that role's staff at the store) or one staff
    member (a membership id), never both.
    """

    categories: list[str] = msgspec.field(default_factory=list)
    severities: list[str] = msgspec.field(default_factory=list)
    store_ids: list[str] = msgspec.field(default_factory=list)
    tiers: list[str] = msgspec.field(default_factory=list)
    role: str | None = None
    staff_id: str | None = None

    def __post_init__(self) -> None:
        if (self.role is None) == (self.staff_id is None):
            raise ValueError("a routing rule names exactly one of role or staff_id")
        unknown = sorted(set(self.categories) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"categories: unknown {unknown}")


class Escalation(msgspec.Struct, forbid_unknown_fields=True):
    """Who is brought in at each level and how long after the previous step.

    ``after[0]`` runs from the breach to level 1, ``after[1]`` from level 1 to level 2,
    ``after[2]`` from level 2 to level 3; measured on the complaint's own calendar.
    """

    owner_role: str = "hq_analyst"
    top_role: str = "hq_admin"
    after: list[str] = msgspec.field(default_factory=lambda: ["0", "2h", "4h"])

    def __post_init__(self) -> None:
        if len(self.after) != 3:
            raise ValueError("after: give three delays (to level 1, 2 and 3)")
        for index, text in enumerate(self.after):
            delay_seconds(text, f"after[{index}]")

    def delays(self) -> list[int]:
        return [delay_seconds(t, f"after[{i}]") for i, t in enumerate(self.after)]


class ComplaintSettings(msgspec.Struct, forbid_unknown_fields=True):
    severities: list[str] = msgspec.field(default_factory=lambda: ["A", "B", "C"])
    """Most to least serious; a tenant may rename or add levels (each needs a policy)."""
    policies: dict[str, Policy] = msgspec.field(default_factory=_default_policies)
    tiers: dict[str, dict[str, Policy]] = msgspec.field(default_factory=dict)
    """Per-tier overrides: ``tiers.gold.A`` replaces ``policies.A`` for gold members."""
    top_tiers: list[str] = msgspec.field(default_factory=lambda: ["gold", "black"])
    """Customers of these tiers start escalation one level higher (management at once)."""
    routing: list[RoutingRule] = msgspec.field(default_factory=list)
    escalation: Escalation = msgspec.field(default_factory=Escalation)
    critical_severities: list[str] = msgspec.field(default_factory=lambda: ["A"])
    """Notifications about these go out at once; the others wait for the store to open."""
    reopen_below: int = 3
    """A follow-up satisfaction below this (1-5), or "not resolved", reopens the complaint."""
    open_requested: bool = True
    """Open a complaint when another plugin asks (``complaint.requested``: a low survey)."""

    def __post_init__(self) -> None:
        if not self.severities or len(set(self.severities)) != len(self.severities):
            raise ValueError("severities: list each level once, at least one")
        missing = [s for s in self.severities if s not in self.policies]
        if missing:
            raise ValueError(f"policies: no policy for severities {missing}")
        extra = sorted(set(self.policies) - set(self.severities))
        if extra:
            raise ValueError(f"policies: {extra} are not severities")
        for tier, overrides in self.tiers.items():
            unknown = sorted(set(overrides) - set(self.severities))
            if unknown:
                raise ValueError(f"tiers.{tier}: {unknown} are not severities")
        for rule in self.routing:
            unknown = sorted(set(rule.severities) - set(self.severities))
            if unknown:
                raise ValueError(f"routing: {unknown} are not severities")
        if not 1 <= self.reopen_below <= 6:
            raise ValueError("reopen_below: must be between 1 and 6")

    def policy_for(self, severity: str, tier: str | None) -> Policy:
        """The tier's override when there is one, else the severity's policy."""
        override = self.tiers.get(tier or "", {}).get(severity)
        return override if override is not None else self.policies[severity]
