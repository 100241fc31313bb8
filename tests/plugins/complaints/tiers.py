"""A stand-in for the membership plugin: says which tier a customer is in (test-controlled).

Registered per test, so the complaints tests do not depend on another plugin's progress;
the contract is the same (``customer_attributes`` returns ``{"tier": ...}``).
"""

from __future__ import annotations

import uuid
from typing import Any

from pitstop.sdk import PluginContext, PluginInfo, hookimpl

TIERS: dict[uuid.UUID, str] = {}


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(name="tiers", version="0.0.1", title="Tiers (test)")


@hookimpl
async def customer_attributes(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any]:
    tier = TIERS.get(customer_id)
    return {} if tier is None else {"tier": tier}
