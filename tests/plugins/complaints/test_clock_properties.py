"""Properties of the SLA clocks, in memory (no database): a pause never changes the open
time left on a running clock, and the warning always falls at 80% of the open time."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from pitstop.sdk import calendar_for
from pitstop_complaints.clocks import pause, resume, start_clocks, warning_at
from pitstop_complaints.models import Complaint
from pitstop_complaints.settings import Policy

SH001 = calendar_for(
    "store",
    hours={"daily": "08:30-12:00,13:30-18:00", "sun": "09:00-17:00"},
    holidays=["2026-10-01..2026-10-03"],
    timezone="Asia/Shanghai",
)
START = dt.datetime(2026, 9, 28, 0, 0, tzinfo=dt.UTC)  # spans the October holidays
minutes = st.integers(min_value=0, max_value=60 * 24 * 20)
targets = st.sampled_from(["30m", "2h", "8h", "1d", "3d"])


def _complaint(at: dt.datetime, target: str) -> Complaint:
    complaint = Complaint(status="investigating", paused_seconds=0, escalation_next_at=None)
    start_clocks(complaint, SH001, Policy("1h", target, "store"), at)
    complaint.response_met_at = at  # answered at once: only the resolution clock runs
    return complaint


@settings(max_examples=150, deadline=None)
@given(minutes, minutes, minutes, targets)
def test_a_pause_keeps_the_open_time_left(start: int, into: int, length: int, target: str) -> None:
    # Given a resolution clock started at a random instant
    logged = START + dt.timedelta(minutes=start)
    complaint = _complaint(logged, target)
    due = complaint.resolution_due_at
    # When it is paused before its deadline and resumed later
    paused_at = min(logged + dt.timedelta(minutes=into), due)
    resumed_at = paused_at + dt.timedelta(minutes=length)
    left_before = SH001.elapsed(paused_at, due)
    pause(complaint, paused_at)
    resume(complaint, SH001, resumed_at)
    # Then exactly as much open time is left after the pause as there was before it
    assert SH001.elapsed(resumed_at, complaint.resolution_due_at) == left_before
    assert complaint.paused_seconds == int(SH001.elapsed(paused_at, resumed_at).total_seconds())
    assert complaint.paused_at is None


@settings(max_examples=150, deadline=None)
@given(minutes, targets)
def test_the_warning_is_at_80_percent_of_the_open_time(start: int, target: str) -> None:
    logged = START + dt.timedelta(minutes=start)
    complaint = _complaint(logged, target)
    due, warn = complaint.resolution_due_at, complaint.resolution_warn_at
    assert warn == warning_at(SH001, logged, due)
    total, used = SH001.elapsed(logged, due), SH001.elapsed(logged, warn)
    assert abs(used - total * 0.8) <= dt.timedelta(microseconds=1)
    assert logged <= warn <= due
