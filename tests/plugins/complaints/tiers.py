"""A stand-in for the membership plugin: says which tier a customer is in (test-controlled).

Registered per test under membership's name, in place of the real plugin, so the complaints
tests do not depend on another plugin's progress; the contract is the same
(``customer_attributes`` returns ``{"tier": ...}``, which readers see as ``membership.tier``).
"""

from __future__ import annotations

import uuid
from typing import Any

from pitstop.sdk import PluginContext, PluginInfo, hookimpl
from pitstop_membership.settings import MembershipSettings

TIERS: dict[uuid.UUID, str] = {}


@hookimpl
def plugin_info() -> PluginInfo:
    # The real plugin's settings, so the demo manifests that configure membership still load
    return PluginInfo(
        name="membership", version="0.0.1", title="Tiers (test)", settings=MembershipSettings
    )


@hookimpl
async def customer_attributes(ctx: PluginContext, customer_id: uuid.UUID) -> dict[str, Any]:
    tier = TIERS.get(customer_id)
    return {} if tier is None else {"tier": tier}
