"""The two SLA clocks of a complaint (first response, resolution) in business time.

Targets are open time on the complaint's calendar (``24x7`` or the store's hours), so a
deadline never lands on a closed shop and a lunch break does not count against the staff.
The warning fires at 80% of the *open* time between start and deadline. Waiting for the
customer pauses both clocks exactly: on resume every unmet, unbreached deadline (and the
next escalation step) moves later by the open time that passed while paused - not by the
wall-clock time, which would overcharge a pause that spanned a night.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pitstop.sdk import Calendar, NotFound, PluginContext, calendar_for, get_store

from .models import Complaint
from .settings import Policy, duration

WARNING_FRACTION = 0.8
CLOCKS = ("response", "resolution")


async def calendar_of(ctx: PluginContext, store_id: uuid.UUID, kind: str) -> Calendar:
    """The calendar a policy names; ``store`` is the store's hours in its time zone."""
    if kind == "24x7":
        return calendar_for("24x7")
    store = await get_store(ctx, store_id)
    if store is None:
        raise NotFound("no such store in this tenant", code="store_not_found")
    return store.calendar()


def warning_at(calendar: Calendar, start: dt.datetime, due: dt.datetime) -> dt.datetime:
    """The instant 80% of the clock's open time has been used."""
    return calendar.shift(start, calendar.elapsed(start, due) * WARNING_FRACTION)


def start_clocks(
    complaint: Complaint, calendar: Calendar, policy: Policy, now: dt.datetime
) -> None:
    """Copy the policy onto the complaint and set both deadlines from ``now``."""
    complaint.calendar = policy.calendar
    complaint.first_response_target = policy.first_response
    complaint.resolution_target = policy.resolution
    complaint.response_due_at = calendar.add(now, duration(policy.first_response, "target"))
    complaint.response_warn_at = warning_at(calendar, now, complaint.response_due_at)
    restart_resolution(complaint, calendar, now)


def restart_resolution(complaint: Complaint, calendar: Calendar, now: dt.datetime) -> None:
    """A fresh resolution clock (at intake, and when a complaint is reopened)."""
    complaint.resolution_started_at = now
    complaint.resolution_due_at = calendar.add(now, duration(complaint.resolution_target, "target"))
    complaint.resolution_warn_at = warning_at(calendar, now, complaint.resolution_due_at)
    complaint.resolution_warned_at = None
    complaint.resolution_breached_at = None
    complaint.resolution_met_at = None


def running(complaint: Complaint, clock: str) -> bool:
    """A clock runs until it is met or breached (a breach is recorded once)."""
    return (
        getattr(complaint, f"{clock}_met_at") is None
        and getattr(complaint, f"{clock}_breached_at") is None
    )


def pause(complaint: Complaint, now: dt.datetime) -> None:
    if complaint.paused_at is None:
        complaint.paused_at = now


def resume(complaint: Complaint, calendar: Calendar, now: dt.datetime) -> dt.timedelta:
    """End a pause: push running deadlines by the open time spent paused; returns it."""
    if complaint.paused_at is None:
        return dt.timedelta(0)
    paused = calendar.elapsed(complaint.paused_at, now)
    for clock in CLOCKS:
        if running(complaint, clock):
            for field in ("due_at", "warn_at"):
                name = f"{clock}_{field}"
                setattr(complaint, name, calendar.shift(getattr(complaint, name), paused))
    if complaint.escalation_next_at is not None:
        complaint.escalation_next_at = calendar.shift(complaint.escalation_next_at, paused)
    complaint.paused_at = None
    complaint.paused_seconds += int(paused.total_seconds())
    return paused


def pending_instants(complaint: Complaint) -> list[dt.datetime]:
    """Every future instant at which something may fire (what the timers are set for)."""
    if complaint.paused_at is not None or complaint.status == "closed":
        return []
    instants: list[dt.datetime] = []
    for clock in CLOCKS:
        if running(complaint, clock):
            if getattr(complaint, f"{clock}_warned_at") is None:
                instants.append(getattr(complaint, f"{clock}_warn_at"))
            instants.append(getattr(complaint, f"{clock}_due_at"))
    if complaint.escalation_next_at is not None:
        instants.append(complaint.escalation_next_at)
    return sorted(set(instants))


def sla_view(complaint: Complaint, clock: str) -> dict[str, dt.datetime | None]:
    return {
        "due_at": getattr(complaint, f"{clock}_due_at"),
        "warn_at": getattr(complaint, f"{clock}_warn_at"),
        "met_at": getattr(complaint, f"{clock}_met_at"),
        "warned_at": getattr(complaint, f"{clock}_warned_at"),
        "breached_at": getattr(complaint, f"{clock}_breached_at"),
    }
