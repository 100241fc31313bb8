"""The demo's complaints: one in every state a complaint can be in, made the way staff would.

Each scenario is logged and moved on through the plugin's own service functions (intake,
workflow, SLA firing) with the context's clock stopped at the moment each step happened,
so clocks, breaches, notifications, history and events are exactly what real use would
have left. At the end the SLA check runs at the present, as the sweep would within 30 s.

Deterministic: scenarios are fixed, and each picks a customer through one of the book's
service orders completed two to thirteen weeks ago, chosen by position in completion order.
Idempotent: a tenant that already has complaints is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from pitstop.sdk import PluginContext, ServiceOrderView, completed_service_orders

from . import workflow
from .intake import log_complaint
from .models import Complaint
from .schemas import Category, Channel, ComplaintCreate
from .settings import ComplaintSettings
from .sla import OPEN_STATUSES, fire_due, lock, schedule_escalation

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
Step = Callable[[PluginContext, Complaint], Coroutine[Any, Any, None]]


async def _acknowledge(ctx: PluginContext, complaint: Complaint) -> None:
    await workflow.move(ctx, complaint, "acknowledged", "已致电客户, 了解情况")


async def _investigate(ctx: PluginContext, complaint: Complaint) -> None:
    await workflow.move(ctx, complaint, "investigating", "安排技师复查车辆")


async def _await_customer(ctx: PluginContext, complaint: Complaint) -> None:
    await workflow.move(ctx, complaint, "awaiting_customer", "等待客户提供付款凭证")


async def _resolve(ctx: PluginContext, complaint: Complaint) -> None:
    await workflow.resolve(ctx, complaint, "免费返工并赠送一次精致洗车", first_contact=False)


async def _resolve_at_once(ctx: PluginContext, complaint: Complaint) -> None:
    await workflow.resolve(ctx, complaint, "当场解释收费明细, 客户认可", first_contact=True)


async def _satisfied(ctx: PluginContext, complaint: Complaint) -> None:
    await workflow.survey(ctx, complaint, 5, True, "回访: 客户满意")


async def _unsatisfied(ctx: PluginContext, complaint: Complaint) -> None:
    await workflow.survey(ctx, complaint, 2, False, "回访: 异响仍在")


@dataclass(frozen=True)
class Scenario:
    """A complaint logged ``ago`` before now; each step ``(after logging, step)``."""

    shows: str
    ago: dt.timedelta
    severity: int
    """Index into the tenant's severities: 0 the most serious, -1 the least."""
    category: Category
    channel: Channel
    description: str
    steps: tuple[tuple[dt.timedelta, Step], ...] = ()


SCENARIOS = (
    Scenario("new", HOUR / 2, -1, "waiting_time", "phone", "取车等了一个多小时"),
    Scenario(
        "acknowledged",
        3 * HOUR,
        1,
        "attitude",
        "walk_in",
        "前台接待不耐烦",
        ((HOUR, _acknowledge),),
    ),
    Scenario(
        "investigating",
        DAY,
        1,
        "service_quality",
        "app",
        "保养后发动机有异响",
        ((HOUR, _acknowledge), (2 * HOUR, _investigate)),
    ),
    Scenario(
        "awaiting_customer (clocks paused)",
        2 * DAY,
        -1,
        "billing",
        "web",
        "发票金额与报价不符",
        ((HOUR, _acknowledge), (2 * HOUR, _investigate), (5 * HOUR, _await_customer)),
    ),
    Scenario(
        "resolved (awaiting the follow-up)",
        4 * DAY,
        1,
        "parts",
        "phone",
        "更换的刹车片有异响",
        ((HOUR, _acknowledge), (2 * HOUR, _investigate), (DAY, _resolve)),
    ),
    Scenario(
        "closed",
        10 * DAY,
        -1,
        "price",
        "walk_in",
        "四轮定位收费比上次高",
        ((HOUR / 2, _resolve_at_once), (2 * DAY, _satisfied)),
    ),
    Scenario(
        "reopened",
        6 * DAY,
        1,
        "service_quality",
        "phone",
        "空调维修后仍不制冷",
        ((HOUR, _acknowledge), (2 * HOUR, _investigate), (DAY, _resolve), (5 * DAY, _unsatisfied)),
    ),
    Scenario(
        "breached and escalated",
        2 * DAY,
        0,
        "service_quality",
        "social",
        "刹车维修后制动距离变长, 客户担心安全",
        (),
    ),
)


async def load_demo(ctx: PluginContext[ComplaintSettings]) -> str | None:
    """Log the scenarios unless the tenant has complaints; returns the demo's line."""
    if await ctx.session.scalar(select(func.count()).select_from(Complaint)):
        return await _census(ctx)
    now = ctx.now()
    since, until = now - 91 * DAY, now - 14 * DAY
    orders = [o async for o in completed_service_orders(ctx, since=since, until=until)]
    picks = _spread(orders, len(SCENARIOS))
    if len(picks) < len(SCENARIOS):
        return None
    settings = ctx.settings
    levels = settings.severities
    for scenario, order in zip(SCENARIOS, picks, strict=True):
        severity = levels[max(-len(levels), min(scenario.severity, len(levels) - 1))]
        await _play(ctx, scenario, order, severity, now)
    return await _census(ctx)


def _spread(orders: list[ServiceOrderView], count: int) -> list[ServiceOrderView]:
    """``count`` orders of distinct customers, spread evenly over the list."""
    picked: list[ServiceOrderView] = []
    step = max(1, len(orders) // max(1, count))
    for order in orders[::step] + orders:
        if len(picked) == count:
            break
        if all(order.customer_id != p.customer_id for p in picked):
            picked.append(order)
    return picked


async def _play(
    ctx: PluginContext, scenario: Scenario, order: ServiceOrderView, severity: str, now: dt.datetime
) -> None:
    logged_at = now - scenario.ago
    data = ComplaintCreate(
        customer_id=order.customer_id,
        store_id=order.store_id,
        severity=severity,
        category=scenario.category,
        channel=scenario.channel,
        description=scenario.description,
        service_order_id=order.id,
    )
    complaint = await log_complaint(ctx.as_of(logged_at), data)
    for after, step in scenario.steps:
        then = ctx.as_of(logged_at + after)
        await step(then, await workflow.visible(then, complaint.id))
    locked = await lock(ctx, complaint.id)
    if locked is not None and locked.status in OPEN_STATUSES and await fire_due(ctx, locked):
        schedule_escalation(ctx, locked)


async def _census(ctx: PluginContext) -> str:
    complaints = (await ctx.session.scalars(select(Complaint))).all()
    states = Counter(c.status for c in complaints)
    reopened = sum(1 for c in complaints if c.reopen_count)
    breached = sum(1 for c in complaints if c.response_breached_at or c.resolution_breached_at)
    listed = ", ".join(f"{status} {n}" for status, n in sorted(states.items()))
    return f"{len(complaints)} complaints ({listed}; {reopened} reopened, {breached} breached)"
